"""The room-days follow a child's stay in a room: its booking there counts as arrived when the
child comes (at the door, or moved in from another room), and its bookings there end when it
leaves (collected, or moved out), their places offered to the waitlist.

A stay belongs to one attendance day, the local day it began, but its bookings belong to the
room-days of the local days it touched: a child nobody collected by midnight and collected or
moved after it stayed into the next day's bookings of its room, and a child that arrives within
the check-in tolerance before a booking that starts at midnight arrives the day before that
booking's room-day (ADR 0024)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from backend.services.bookings import offer_freed_places, withdraw_offers_without_place
from backend.unit_of_work import UnitOfWork
from domain.attendance.values import PresentChild
from domain.booking.room_day import RoomDay, room_day_id
from domain.child.aggregate import Child


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
