"""Corrections of the attendance register by an institution admin, after the fact.

A tablet's record more than 24 h old is refused (it may be a stale queue); a paper sign-in
sheet, a lost device or a wrong tap is put right by an admin instead: a missed visit is added
(arrival and departure), or a visit's times (and, once it is over, its room) are replaced.
Every correction carries who made it and why; the register shows both. A correction records
what happened, so it does not check class size or ratio at those past minutes, and it never
makes a child present now or collects one: that is what check-in and check-out are for.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec

from domain.attendance.values import Visit, VisitOverlaps, VisitStillOpen
from domain.errors import InvalidValue, NotFound
from domain.institution.values import local_hhmm

REASON_MAX_LENGTH = 500


class VisitCorrection(msgspec.Struct, frozen=True):
    child_id: UUID
    room_id: UUID
    arrived: datetime
    left: datetime | None  # None only for the visit of a child still here
    replaces: datetime | None  # the arrival of the visit corrected, as registered; None: added
    reason: str
    by: UUID

    def visit(self, children_per_carer: int = 0) -> Visit:
        """The visit as corrected (keeping what the child needed, when it replaces one)."""
        return Visit(self.room_id, self.arrived, self.left, children_per_carer)


def check_correction(
    correction: VisitCorrection, visits: list[Visit], day: date, timezone: str, now: datetime,
    *, child_erased: bool = False,
) -> VisitCorrection:  # fmt: skip
    """The correction as recorded (`replaces` the exact arrival of the visit that arrived in
    that minute, as the register shows it), or a refusal, by name, of one that is not a
    whole, believable visit of the child on `day`: times on that local day and not in the
    future, the departure after the arrival, the visit replaced found, an open visit left
    open, and no overlap with the child's other visits that day.

    The reason of a correction about a child whose data was erased (`child_erased`) is asked
    for as always but recorded as "": the register keeps the erased child's visits for the
    regulator, and their times may still need putting right, but words written about the
    child now would stay in the institution's day stream, which is append-only and not
    sealed with the child's key (ADR 0012)."""
    c = correction
    reason = c.reason.strip()
    if not reason or len(reason) > REASON_MAX_LENGTH:
        raise InvalidValue(
            f"a correction needs a reason of 1 to {REASON_MAX_LENGTH} characters (the register"
            " shows it)",
            field="reason",
        )
    _check_times(c, day, timezone, now)
    others = visits
    if c.replaces is None:
        if c.left is None:
            raise InvalidValue(
                "a visit added afterwards needs its departure; a child arriving now is checked in",
                field="left_at",
            )
    else:
        minute = _to_the_minute(c.replaces)
        old = next((v for v in visits if _to_the_minute(v.arrived) == minute), None)
        if old is None:
            raise NotFound(
                f"no visit of this child arrived at {local_hhmm(c.replaces, timezone)} on {day}",
                field="replaces",
            )
        c = msgspec.structs.replace(c, replaces=old.arrived)
        _check_replacing(c, old)
        others = [v for v in visits if v is not old]
    for v in others:
        if c.arrived < (v.left or datetime.max.replace(tzinfo=c.arrived.tzinfo)) and v.arrived < (
            c.left or datetime.max.replace(tzinfo=v.arrived.tzinfo)
        ):
            until = local_hhmm(v.left, timezone) if v.left else "now"
            raise VisitOverlaps(
                f"overlaps the child's visit from {local_hhmm(v.arrived, timezone)} to {until}",
                field="arrived_at",
            )
    return msgspec.structs.replace(c, reason="") if child_erased else c


def _to_the_minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def _check_times(c: VisitCorrection, day: date, timezone: str, now: datetime) -> None:
    zone = ZoneInfo(timezone)
    opens = datetime.combine(day, time(), tzinfo=zone)
    closes = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
    times = [("arrived_at", c.arrived), ("left_at", c.left)]
    for field, at in times:
        if at is not None and at.tzinfo is None:
            raise InvalidValue("the time needs a UTC offset", field=field)
        if at is not None and not (opens <= at < closes or (field == "left_at" and at == closes)):
            raise InvalidValue(f"the time must fall on {day} in {timezone}", field=field)
    for field, at in times:
        if at is not None and at > now:
            raise InvalidValue("the time is in the future", field=field)
    if c.left is not None and c.left <= c.arrived:
        raise InvalidValue("the departure must come after the arrival", field="left_at")


def _check_replacing(c: VisitCorrection, old: Visit) -> None:
    if old.left is None:
        if c.left is not None:
            raise VisitStillOpen(
                "the child is still checked in: check the child out instead", field="left_at"
            )
        if c.room_id != old.room_id:
            raise VisitStillOpen(
                "the child is still checked in: a room changes by checking out and in",
                field="room_id",
            )
    elif c.left is None:
        raise InvalidValue("give the departure of the visit corrected", field="left_at")
    if (c.room_id, c.arrived, c.left) == (old.room_id, old.arrived, old.left):
        raise InvalidValue("the correction changes nothing", field="arrived_at")


def corrected_visit(visit: Visit, correction: VisitCorrection) -> Visit:
    """The visit as corrected, still needing what the child needed if it stays in its room."""
    same_room = visit.room_id == correction.room_id
    return correction.visit(visit.children_per_carer if same_room else 0)
