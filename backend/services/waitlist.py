"""Decisions about the waitlist: join when full, take an offered place, leave, expire offers,
and offer places come free (withdrawing offers to children booked elsewhere since)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from api_schema.booking import BookingAccepted
from api_schema.common import CommandAccepted
from backend.services.bookings import (
    BookingRequest,
    book_into,
    enrolled_on,
    entry_hold,
    hold_for,
    offer_freed_places,
    prepare,
    room_day_for,
)
from backend.unit_of_work import UnitOfWork
from domain.booking.room_day import RoomDay
from domain.booking.waitlist import WaitlistEntry
from domain.child.aggregate import Child
from domain.institution.aggregate import Institution


async def join_waitlist(uow: UnitOfWork, now: datetime, request: BookingRequest) -> CommandAccepted:
    """Wait for this interval (refused while a place is free: book it instead)."""
    child, _, terms, draft = await prepare(uow, request)
    room_day = await room_day_for(uow, request, now)
    room_day.check_visit(draft, terms, now)  # a place waited for must be one it could book
    child.check_free(hold_for(draft, room_day))  # and a time the child is not booked elsewhere
    enrolled = await enrolled_on(uow, request.room_id, request.day)
    entry = WaitlistEntry(
        entry_id=request.booking_id, child_id=draft.child_id, guardian_id=draft.guardian_id,
        day=request.day, care_type=draft.care_type, start=draft.start, end=draft.end,
        children_per_carer=draft.children_per_carer,
    )  # fmt: skip
    room_day.join_waitlist(entry, terms, now, enrolled)
    return CommandAccepted(id=entry.entry_id, version=room_day.version)


async def take_offer(
    uow: UnitOfWork,
    now: datetime,
    *,
    room_day_id: UUID,
    entry_id: UUID,
    guardian_id: UUID,
    booking_id: UUID,
) -> BookingAccepted:
    """The held place becomes a booking, priced and checked like any other."""
    room_day = await uow.get(RoomDay, room_day_id, "room_day")
    joined_by = await _acting_for(uow, room_day, entry_id, guardian_id)
    entry = room_day.take_offer(entry_id, joined_by, booking_id, now)
    request = BookingRequest(
        booking_id=booking_id, guardian_id=guardian_id, child_id=entry.child_id,
        institution_id=room_day.institution_id, room_id=room_day.room_id, day=room_day.day,
        start=entry.start, end=entry.end, care_type=entry.care_type,
    )  # fmt: skip
    child, institution, terms, draft = await prepare(uow, request)
    enrolled = await enrolled_on(uow, room_day.room_id, room_day.day)
    return await book_into(room_day, child, institution, terms, draft, now, enrolled, waited=True)


async def leave_waitlist(
    uow: UnitOfWork, now: datetime, *, room_day_id: UUID, entry_id: UUID, guardian_id: UUID
) -> CommandAccepted:
    room_day = await uow.get(RoomDay, room_day_id, "room_day")
    room_day.leave_waitlist(entry_id, await _acting_for(uow, room_day, entry_id, guardian_id), now)
    await offer_freed_places(uow, room_day, now)  # a declined offer frees its place
    return CommandAccepted(id=entry_id, version=room_day.version)


async def _acting_for(
    uow: UnitOfWork, room_day: RoomDay, entry_id: UUID, guardian_id: UUID
) -> UUID:
    """Whom `guardian_id` acts for on the entry: any guardian of its child may take or leave
    it, as any may cancel the child's bookings (checked on the child); anyone else only their
    own entries, so another family's is not found."""
    entry = room_day.waitlist.get(entry_id)
    if entry is not None and entry.guardian_id != guardian_id:
        child = await uow.find(Child, entry.child_id)
        if child is not None and child.is_guardian(guardian_id):
            return entry.guardian_id
    return guardian_id


async def expire_offers(uow: UnitOfWork, now: datetime, *, room_day_id: UUID) -> CommandAccepted:
    """Offers not taken in time lapse; the next families in line get theirs."""
    room_day = await uow.get(RoomDay, room_day_id, "room_day")
    if room_day.expire_offers(now):
        await offer_freed_places(uow, room_day, now)
    return CommandAccepted(id=room_day.id, version=room_day.version)


async def offer_places_come_free(
    uow: UnitOfWork, now: datetime, *, room_day_id: UUID
) -> CommandAccepted:
    """Offer whatever places are free now to the families waiting on this room-day: places
    freed by a change no booking made (a regular place ended early, more carers rostered, a
    larger room, a city's looser class rules), and places held by offers to children booked
    elsewhere at that time since (withdrawn first). Changes nothing while there is no place."""
    room_day = await uow.get(RoomDay, room_day_id, "room_day")
    await withdraw_offers_of_children_booked(uow, room_day, now)
    await offer_freed_places(uow, room_day, now)
    return CommandAccepted(id=room_day.id, version=room_day.version)


async def withdraw_offers_of_children_booked(
    uow: UnitOfWork, room_day: RoomDay, now: datetime
) -> None:
    """Open offers whose child is no longer free at the entry's time (it took another room's
    offer, or was booked or given a regular place elsewhere) are withdrawn: the child could not
    take the place, and the next family should not wait for the offer to lapse. Reads only the
    children holding an open offer here (a handful at most)."""
    offered = [
        e
        for e in room_day.waitlist.values()
        if e.offered_until is not None and now < e.offered_until
    ]
    if not offered:
        return
    institution = await uow.get(Institution, room_day.institution_id, "institution")
    await uow.prefetch([e.child_id for e in offered])
    booked = []
    for entry in offered:
        child = await uow.find(Child, entry.child_id)
        hold = entry_hold(entry, room_day, institution.timezone)
        if child is not None and not child.is_free(hold):
            booked.append(entry.entry_id)
    if booked:
        room_day.withdraw_offers_of_children_booked(booked, now)
