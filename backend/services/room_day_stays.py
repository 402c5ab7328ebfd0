"""The room-days follow a child's stay in a room: its booking there counts as arrived when the
child comes (at the door, or moved in from another room), and its bookings there end when it
leaves (collected, or moved out), their places offered to the waitlist.

A stay belongs to one attendance day, the local day it began, but its bookings belong to the
room-days of the local days it touched: a child nobody collected by midnight and collected or
moved after it stayed into the next day's bookings of its room, and a child that arrives within
the check-in tolerance before a booking that starts at midnight arrives the day before that
booking's room-day (ADR 0024). A child still in its room when its booking of the next day begins
counts as arrived at that booking's start (`stayed_on`, run by the no-show job), and a child kept
on in one room past the start of its booking in another leaves that booking attended when it is
collected (`stay_at_institution_ended`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from api_schema.common import CommandAccepted
from backend.services.bookings import offer_freed_places, withdraw_offers_without_place
from backend.unit_of_work import UnitOfWork
from domain.attendance.day import AttendanceDay, attendance_day_id
from domain.attendance.values import PresentChild
from domain.booking.room_day import RoomDay, room_day_id
from domain.child.aggregate import Child
from domain.errors import RuleViolated


def booking_day(child: Child, booking_id: UUID, day: date) -> date:
    """The local day of the booking's room-day, as the child's record of it says (`day`, the
    arrival's, for a hold recorded before holds kept their day)."""
    hold = child.holds.get(booking_id)
    if hold is None and (gone := child.released.get(booking_id)) is not None:
        hold = gone.hold
    return hold.day if hold is not None and hold.day is not None else day


async def booking_arrived(
    uow: UnitOfWork, child: Child, room_id: UUID, booking_id: UUID, at: datetime, by: UUID,
    now: datetime, *, day: date,
) -> None:  # fmt: skip
    """The booking's room-day learns its child arrived at `at` (local day `day`); a booking
    freed as a no-show while the drop-off waited on an offline tablet holds its place again
    (ADR 0007), and so does one completed earlier that day whose child is back (collected and
    brought again, or moved out and back: ADR 0024); either way the waitlist offers the place
    was given to meanwhile are withdrawn where the room can no longer hold them."""
    room_day = await uow.find(RoomDay, room_day_id(room_id, booking_day(child, booking_id, day)))
    if room_day is None:
        return
    if booking_id in room_day.bookings and booking_id not in room_day.checked_in:
        room_day.check_in(booking_id, by, now)
    elif booking_id in room_day.released:
        room_day.attended_after_release(booking_id, at, by, now)
        child.attended_after_release(booking_id, now)
        await withdraw_offers_without_place(uow, room_day, now)
    elif booking_id in room_day.completed:
        room_day.resume_completed(booking_id, at, by, now)
        await withdraw_offers_without_place(uow, room_day, now)


def stay_days(day: date, left: datetime, timezone: str) -> tuple[date, ...]:
    """The local days of the room-days a stay of the attendance day `day` touched until
    `left`: that day, and the next when the child was still here after midnight."""
    left_day = left.astimezone(ZoneInfo(timezone)).date()
    return (day,) if left_day <= day else (day, left_day)


async def stay_ended(
    uow: UnitOfWork, present: PresentChild, day: date, left: datetime, by: UUID, now: datetime,
    *, timezone: str,
) -> None:  # fmt: skip
    """The child's stay in its room (of the attendance day `day`) ended at `left` (collected,
    or moved to another room): its bookings in the room-days it touched are over, and the
    places they free go to the waitlist."""
    for touched in stay_days(day, left, timezone):
        room_day = await uow.find(RoomDay, room_day_id(present.room_id, touched))
        if room_day is not None and room_day.end_stay(
            present.child_id, present.since, left, by, now
        ):
            await offer_freed_places(uow, room_day, now)


async def here_from_the_day_before(
    uow: UnitOfWork, institution_id: UUID, day: date, child_id: UUID
) -> PresentChild | None:
    """Where the child is on the attendance day before `day`, still checked in there (nobody
    collected it by midnight); None when it is not. A child checked in again on `day` itself is
    that day's (as the live view has it), and not here from the day before."""
    today = await uow.find(AttendanceDay, attendance_day_id(institution_id, day))
    if today is not None and child_id in today.present:
        return None
    before = await uow.find(AttendanceDay, attendance_day_id(institution_id, day - timedelta(1)))
    return before.present.get(child_id) if before is not None else None


async def stayed_on(
    uow: UnitOfWork, now: datetime, *, room_day_id: UUID, booking_id: UUID
) -> CommandAccepted:
    """The booking of a child still in this room from the day before counts as arrived at its
    start, once it has begun: the room-day keeps the place of a child who is there, and the
    no-show job leaves it be (the system does it: no carer checks the child in again)."""
    room_day = await uow.get(RoomDay, room_day_id, "room_day")
    child_id = room_day.child_of.get(booking_id)
    here = None
    if child_id is not None:
        here = await here_from_the_day_before(uow, room_day.institution_id, room_day.day, child_id)
    if here is None or here.room_id != room_day.room_id:
        raise RuleViolated("the child is not in this room since the day before",
                           field="booking_id")  # fmt: skip
    room_day.began_with_child_here(booking_id, here.since, now)
    return CommandAccepted(id=booking_id, version=room_day.version)


async def stay_at_institution_ended(
    uow: UnitOfWork, child: Child, present: PresentChild, since: datetime, day: date,
    left: datetime, by: UUID, now: datetime, *, timezone: str, rooms: set[UUID],
) -> None:  # fmt: skip
    """The child, at the institution (`rooms`) since `since`, was collected from its room at
    `left`: its bookings in the institution's other rooms that began while it was here end too,
    attended. It was kept on in one room past the start of a booking next door (the place there
    held while it might be moved in, ADR 0024); it was in care through that start, so the
    booking is neither a no-show nor left waiting for a child who has gone."""
    touched = stay_days(day, left, timezone)
    for hold in list(child.holds.values()):
        if hold.room_id is None or hold.room_id == present.room_id or hold.room_id not in rooms:
            continue
        if hold.day not in touched or not since <= hold.starts_at <= left:
            continue
        room_day = await uow.find(RoomDay, room_day_id(hold.room_id, hold.day))
        if room_day is not None and room_day.end_stay(child.id, since, left, by, now):
            await offer_freed_places(uow, room_day, now)
