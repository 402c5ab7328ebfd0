"""Arrivals and departures against bookings, and releasing the places of children who never came."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from litestar.exceptions import PermissionDeniedException

from api_schema.common import CommandAccepted
from backend.commands import UnitOfWork
from backend.services.bookings import offer_freed_places
from domain.booking.room_day import RoomDay
from domain.child.aggregate import Child
from domain.institution.aggregate import Institution


async def _staffed_room_day(uow: UnitOfWork, room_day_id: UUID, by: UUID) -> RoomDay:
    """The room-day, checked on the institution itself that `by` works there."""
    room_day = await uow.get(RoomDay, room_day_id, "room_day")
    institution = await uow.get(Institution, room_day.institution_id, "institution")
    if by not in institution.staff:
        raise PermissionDeniedException("only staff of the booking's institution")
    return room_day


async def check_in(
    uow: UnitOfWork, now: datetime, *, room_day_id: UUID, booking_id: UUID, by: UUID
) -> CommandAccepted:
    room_day = await _staffed_room_day(uow, room_day_id, by)
    room_day.check_in(booking_id, by, now)
    return CommandAccepted(id=booking_id, version=room_day.version)


async def check_out(
    uow: UnitOfWork, now: datetime, *, room_day_id: UUID, booking_id: UUID, by: UUID
) -> CommandAccepted:
    room_day = await _staffed_room_day(uow, room_day_id, by)
    room_day.complete(booking_id, by, now)
    await offer_freed_places(uow, room_day, now)
    return CommandAccepted(id=booking_id, version=room_day.version)


async def release_no_show(
    uow: UnitOfWork, now: datetime, *, room_day_id: UUID, booking_id: UUID
) -> CommandAccepted:
    """The system frees the place; the child's time is released too."""
    room_day = await uow.get(RoomDay, room_day_id, "room_day")
    institution = await uow.get(Institution, room_day.institution_id, "institution")
    after = institution.booking_settings.no_show_after_minutes
    booking = room_day.release_no_show(booking_id, after, now)
    child = await uow.get(Child, booking.child_id, "child")
    if booking_id in child.holds:
        child.release(booking_id, now)
    await offer_freed_places(uow, room_day, now)
    return CommandAccepted(id=booking_id, version=room_day.version)
