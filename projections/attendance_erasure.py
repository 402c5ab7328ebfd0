"""What the attendance read model forgets of a child whose data was erased (ADR 0012): the free
text staff wrote about it (a check-in's note, an override's or a correction's reason), which may
name the child. The facts stay: times, ids, status, who recorded them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from domain.attendance.corrections import VisitCorrection
from domain.attendance.day import AttendanceDay
from projections.attendance_texts import REASON_MARK

# An override or a correction stays visible as one ('' where a reason was), its words go.
_REGISTER = (
    "UPDATE rm_attendance_register SET note = '', observations = '',"
    " override_reason = CASE WHEN override_reason IS NOT NULL THEN '' END,"
    " correction_reason = CASE WHEN correction_reason IS NOT NULL THEN '' END"
    " WHERE child_id = ANY($1::uuid[])"
)
# A correction's detail ends with its reason (`correction_text`): the times before it stay.
_AUDIT = (
    "UPDATE rm_attendance_audit SET detail = CASE kind"
    f" WHEN 'register_correction' THEN regexp_replace(detail, '{REASON_MARK}.*$', '{REASON_MARK}')"
    " ELSE '' END WHERE child_id = ANY($1::uuid[]) RETURNING position"
)
# The feed rows with a reason are those of the audited acts (an override, a correction).
_FEED = "SELECT position, data FROM rm_occupancy_feed WHERE position = ANY($1::bigint[])"
_FEED_DATA = "UPDATE rm_occupancy_feed SET data = $2 WHERE position = $1"
_FREE_TEXT = ("override_reason", "reason")
_json = msgspec.json.Encoder()


async def forget_free_text(conn: asyncpg.Connection, children: list[UUID]) -> None:
    """Blank the erased children's free text in the register, the audit trail and the feed."""
    await conn.execute(_REGISTER, children)
    audited = [r["position"] for r in await conn.fetch(_AUDIT, children)]
    if not audited:
        return
    rows = [(r["position"], feed_data_without_words(r["data"]))
            for r in await conn.fetch(_FEED, audited)]  # fmt: skip
    await conn.executemany(_FEED_DATA, rows)


def feed_data_without_words(data: str) -> str:
    """A feed row's JSON with each reason given blanked to "" (null stays null), as stored
    after an erasure. The live feed hub blanks the rows it keeps in memory with this, so a
    stream sends the same bytes whether it reads them from there or from the table."""
    decoded: dict[str, Any] = msgspec.json.decode(data)
    words = [key for key in _FREE_TEXT if decoded.get(key)]
    if not words:
        return data
    return _json.encode({**decoded, **dict.fromkeys(words, "")}).decode()


async def corrected_erased_children(conn: asyncpg.Connection, batch: Sequence[Any]) -> set[UUID]:
    """The children whose visits the batch corrects and whose data is erased already (gone
    from rm_children, which is ahead in registry order): such a correction is written without
    its reason. The command records none since (`check_correction`; an erasure racing it makes
    it conflict), but one stored before that must show none either, and a rebuild, where every
    erased child is gone already, writes the same rows as live (ADR 0025). Only a stored one
    applied while a stream watches its institution (the model catching up after a deploy)
    could leave the live feed hub a kept row, made from the event, unlike the table's."""
    corrected = {e.event.correction.child_id for e in batch
                 if isinstance(e.event, AttendanceDay.VisitCorrected)}  # fmt: skip
    if not corrected:
        return set()
    known = await conn.fetch("SELECT id FROM rm_children WHERE id = ANY($1::uuid[])", corrected)
    return corrected - {r["id"] for r in known}


def without_reason(correction: VisitCorrection) -> VisitCorrection:
    return msgspec.structs.replace(correction, reason="")
