"""Arrivals a device recorded offline and sends later: judged on the room as it was then.

A check-in whose `at` is more than LATE_AFTER old when it arrives is a replay. The day keeps
each child's visits (with the ratio it needed) and each carer's stays, so the room at `at` is
known: who was in it, which carers were clocked in (within CLOCK_SKEW: a carer's phone and a
room's tablet need not agree to the minute). A replayed arrival must not fall inside a visit
recorded meanwhile by another device; a live one simply arrives now (docs/adr/0007).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from uuid import UUID

import msgspec

from domain.attendance.room_ratio import RoomRules, RoomStatus, room_status
from domain.attendance.values import PresentChild, Visit, VisitOverlaps
from domain.clocks import CLOCK_SKEW

LATE_AFTER = timedelta(minutes=5)  # a check-in recorded longer ago than this was replayed


def is_replayed(child: PresentChild, now: datetime) -> bool:
    return child.since < now - LATE_AFTER


def end_of_stay_after(stays: Sequence[Visit], at: datetime) -> datetime | None:
    """When the first stay recorded as ended after `at` (beyond CLOCK_SKEW) ended, if any: a
    stay that begins at `at` would overlap it."""
    return next((v.left for v in stays if v.left is not None and v.left - at > CLOCK_SKEW), None)


def check_no_visit_after(visits: Sequence[Visit], child: PresentChild) -> None:
    """A replayed arrival must not fall inside, or before the end of, a visit recorded since
    (the child was checked in and out by another device): an admin corrects the register."""
    left = end_of_stay_after(visits, child.since)
    if left is not None:
        raise VisitOverlaps(
            f"the child was here until {left.isoformat()}: an arrival at"
            f" {child.since.isoformat()} would overlap it (an admin corrects the register)",
            field="at",
        )


def check_no_stay_after(stays: Sequence[Visit], at: datetime) -> None:
    """A carer's clock-in (a phone replaying one made offline) must not fall inside, or before
    the end of, a stay recorded since by another device: the carer would count twice in the
    room's ratio for that time."""
    left = end_of_stay_after(stays, at)
    if left is not None:
        raise VisitOverlaps(
            f"already clocked in until {left.isoformat()}: a clock-in at"
            f" {at.isoformat()} would overlap it (clock in at the time you start now)",
            field="at",
        )


def status_at(
    room: RoomRules,
    visits: Mapping[UUID, Sequence[Visit]],
    staff_stays: Mapping[UUID, Sequence[Visit]],
    at: datetime,
    arriving: int | None = None,
    staff_slack: timedelta = timedelta(0),
) -> RoomStatus:
    """The room as it was at `at`, from the day's stays of children and carers: a device
    replaying a check-in recorded offline is judged on the room at its own time, not now. A
    carer counts if clocked in within `staff_slack` of `at` (the carer's phone and the room's
    tablet need not agree to the minute). Each child and carer counts once, however many of
    their stays cover `at` (a carer back in the room within the slack; one on the records of
    two days, after midnight)."""
    needs = []
    for stays in visits.values():
        here = next((v for v in stays if v.room_id == room.room_id and v.covers(at)), None)
        if here is not None:
            needs.append(here.children_per_carer or room.children_per_carer)
    if arriving is not None:
        needs.append(arriving)
    staff = sum(
        1 for stays in staff_stays.values()
        if any(v.room_id == room.room_id and v.covers(at, staff_slack) for v in stays)
    )  # fmt: skip
    return room_status(needs, staff, room.capacity, room.children_per_carer)


def present_at(visits: Mapping[UUID, Sequence[Visit]], at: datetime) -> int:
    """Children in the institution at `at`, from the day's visits."""
    return sum(1 for stays in visits.values() if any(v.covers(at) for v in stays))


def in_room_at(
    visits: Mapping[UUID, Sequence[Visit]], room_id: UUID, at: datetime,
    slack: timedelta = timedelta(0),
) -> list[UUID]:  # fmt: skip
    """The children in the room at `at` (within `slack`), from the day's visits: care a device
    logged offline goes to who was there then, not to who is there when it is replayed."""
    return [
        child_id for child_id, stays in visits.items()
        if any(v.room_id == room_id and v.covers(at, slack) for v in stays)
    ]  # fmt: skip


def close_open_stay(stays: list[Visit], at: datetime) -> None:
    """The open stay of a child or carer ends at `at`."""
    for i, stay in enumerate(stays):
        if stay.left is None:
            stays[i] = msgspec.structs.replace(stay, left=at)
