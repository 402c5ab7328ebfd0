"""The attendance read model's occupancy feed (rm_occupancy_feed): one row per event that changes
who is in a room or its alarm, at the event's position, which is the live stream's SSE id.
`feed_of` is the one definition of a row: the model writes it, and the live feed hub
(backend/live_feed.py) makes the same rows from the events a step applied, so a stream gets
the same bytes either way."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from domain.attendance.corrections import VisitCorrection
from domain.attendance.day import AttendanceDay as A
from projections.writes import Statement

FEED = "INSERT INTO rm_occupancy_feed VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"
_json = msgspec.json.Encoder()


def feed_of(e: Any) -> tuple[str, str] | None:
    """The live feed's row for this event, as (kind, JSON data), or None if it has none; the
    data is stored as this text."""
    if isinstance(e, A.ChildCheckedIn):
        c = e.child
        return _feed("child_checked_in", room_id=c.room_id, child_id=c.child_id, at=c.since,
                     override_reason=e.override_reason)  # fmt: skip
    if isinstance(e, A.ChildCheckedOut):
        return _feed("child_checked_out", room_id=e.room_id, child_id=e.child_id, at=e.at)
    if isinstance(e, A.ChildMovedRoom):
        c = e.move.child
        return _feed("child_moved", room_id=c.room_id, from_room_id=e.move.from_room_id,
                     child_id=c.child_id, at=c.since,
                     override_reason=e.move.override_reason)  # fmt: skip
    if isinstance(e, A.StaffClockedIn):
        return _feed("staff_clocked_in", room_id=e.room_id, staff_id=e.staff_id, at=e.at)
    if isinstance(e, A.StaffClockedOut):
        return _feed("staff_clocked_out", room_id=e.room_id, staff_id=e.staff_id, at=e.at)
    if isinstance(e, A.RoomOutOfBounds):
        return _feed("ratio_alarm", room_id=e.room_id, at=e.at, breach=e.breach,
                     **msgspec.structs.asdict(e.status))  # fmt: skip
    if isinstance(e, A.RoomBackInBounds):
        return _feed("ratio_recovered", room_id=e.room_id, at=e.at,
                     **msgspec.structs.asdict(e.status))  # fmt: skip
    if isinstance(e, A.UncollectedEscalated):
        return _feed("uncollected_child", room_id=e.room_id, child_id=e.child_id,
                     level=e.level, at=e.at)  # fmt: skip
    if isinstance(e, A.VisitCorrected):
        return correction_feed(e.correction)
    return None


def correction_feed(fix: VisitCorrection) -> tuple[str, str]:
    """The feed's row of a correction, as recorded (the model may write it without its reason)."""
    return _feed("visit_corrected", room_id=fix.room_id, child_id=fix.child_id,
                 arrived_at=fix.arrived, left_at=fix.left, replaces=fix.replaces,
                 reason=fix.reason)  # fmt: skip


def _feed(kind: str, **data: Any) -> tuple[str, str]:
    return kind, _json.encode(data).decode()


def feed_row(pos: int, institution: UUID, e: Any) -> Statement:
    """The feed's INSERT for an event that has a feed row."""
    feed = feed_of(e)
    assert feed is not None, f"{type(e).__name__} has no feed row"
    return FEED, (pos, institution, *feed)
