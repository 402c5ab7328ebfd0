"""Decisions about bookings: book a room for a child for an interval, cancel with the published refund."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

import msgspec
from litestar.exceptions import PermissionDeniedException

from api_schema.booking import BookingAccepted, BookingCancelled, ClosureAccepted
from backend.services.children import guarded_child
from backend.services.institutions import administered, class_rules_of
from backend.unit_of_work import UnitOfWork
from domain.booking.capacity import Presence
from domain.booking.eligibility import check_age_fits, children_per_carer
from domain.booking.enrolment import RoomEnrolments, room_enrolments_id
from domain.booking.room_day import Booking, DayTerms, RoomDay, offer_for, room_day_id
from domain.booking.terms import CareType, price_fen
from domain.booking.waitlist import WaitlistEntry
from domain.child.aggregate import Child, Hold
from domain.clocks import local_instant as local_instant
from domain.institution.aggregate import Institution
from domain.institution.kinds import StaffRole


@dataclass(frozen=True)
class BookingRequest:
    booking_id: UUID
    guardian_id: UUID
    child_id: UUID
    institution_id: UUID
    room_id: UUID
    day: date
    start: int  # local minutes
    end: int
    care_type: CareType


def booking_reads(request: BookingRequest) -> list[UUID]:
    """Every stream a booking decision reads."""
    return [
        request.child_id,
        request.institution_id,
        room_day_id(request.room_id, request.day),
        room_enrolments_id(request.room_id),
    ]


async def prepare(
    uow: UnitOfWork, request: BookingRequest
) -> tuple[Child, Institution, DayTerms, Booking]:
    """The child (checked to be the guardian's), the institution, the room's terms that day,
    and the booking as it would be recorded (priced by the offer that covers it)."""
    await uow.prefetch(booking_reads(request))  # in one round trip
    child = await guarded_child(uow, request.child_id, request.guardian_id)
    institution = await uow.get(Institution, request.institution_id, "institution")
    rules = await class_rules_of(uow, institution)
    terms = institution.day_terms(request.room_id, request.day, rules)
    months = check_age_fits(terms.class_type, child.birth_date, request.day, rules)
    starts_at = local_instant(request.day, request.start, institution.timezone)
    ends_at = local_instant(request.day, request.end, institution.timezone)
    draft = Booking(
        booking_id=request.booking_id, child_id=child.id, guardian_id=request.guardian_id,
        care_type=request.care_type, start=request.start, end=request.end, starts_at=starts_at,
        ends_at=ends_at, price_fen=0, refund_policy=institution.refund_policy,
        children_per_carer=children_per_carer(
            terms.class_type, terms.children_per_carer, months, rules
        ),
    )  # fmt: skip
    if terms.closed is None and request.end > request.start:  # else book() names the refusal
        minutes = request.end - request.start
        draft = _priced(draft, price_fen(offer_for(draft, terms), minutes))
    return child, institution, terms, draft


async def room_day_for(uow: UnitOfWork, request: BookingRequest, now: datetime) -> RoomDay:
    room_day = await uow.find(RoomDay, room_day_id(request.room_id, request.day))
    if room_day is None:
        room_day = RoomDay.open(request.room_id, request.institution_id, request.day, now)
        uow.add(room_day)
    return room_day


async def enrolled_on(uow: UnitOfWork, room_id: UUID, day: date) -> list[Presence]:
    """The regular places taken in the room that day (read at a version, like every stream)."""
    enrolments = await uow.find(RoomEnrolments, room_enrolments_id(room_id))
    return enrolments.presences_on(day) if enrolments is not None else []


async def book_care(uow: UnitOfWork, now: datetime, request: BookingRequest) -> BookingAccepted:
    child, institution, terms, draft = await prepare(uow, request)
    room_day = await room_day_for(uow, request, now)
    enrolled = await enrolled_on(uow, request.room_id, request.day)
    return await book_into(room_day, child, institution, terms, draft, now, enrolled)


async def book_into(
    room_day: RoomDay,
    child: Child,
    institution: Institution,
    terms: DayTerms,
    draft: Booking,
    now: datetime,
    enrolled: list[Presence],
    *,
    waited: bool = False,
) -> BookingAccepted:
    """Book `draft` (`waited`: a waitlist offer taken, its notice judged when it joined)."""
    hold = hold_for(draft, room_day)
    child.check_free(hold)  # before the room-day changes: a refused booking leaves it as it was
    room_day.book(draft, terms, now, enrolled, waited=waited)
    child.hold(hold, now)
    return BookingAccepted(
        id=draft.booking_id, version=room_day.version, status="confirmed",
        price_fen=draft.price_fen, refund_policy=institution.refund_policy.describe(),
    )  # fmt: skip


def hold_for(draft: Booking, room_day: RoomDay) -> Hold:
    """The child's time a booking of this room-day takes."""
    return Hold(
        draft.booking_id, draft.starts_at, draft.ends_at, room_day.day, draft.start, draft.end,
        room_day.room_id,
    )  # fmt: skip


def _priced(booking: Booking, fen: int) -> Booking:
    return msgspec.structs.replace(booking, price_fen=fen)


async def cancel_booking(
    uow: UnitOfWork,
    now: datetime,
    *,
    booking_id: UUID,
    room_day: UUID,
    actor_id: UUID,
    reason: str,
) -> BookingCancelled:
    """A guardian of the child cancels under the policy; an admin of the institution refunds fully."""
    day = await uow.get(RoomDay, room_day, "room_day")
    child_id = day.child_of.get(booking_id)
    child = await uow.get(Child, child_id, "child") if child_id else None
    by_institution = False
    if child is None or not child.is_guardian(actor_id):
        institution = await uow.get(Institution, day.institution_id, "institution")
        if institution.staff.get(actor_id) is not StaffRole.institution_admin:
            raise PermissionDeniedException(
                "only a guardian of the child or an admin of the institution"
            )
        by_institution = True
    refund = day.cancel(
        booking_id, by_institution=by_institution, reason=reason, now=now, by=actor_id
    )
    if child is not None and booking_id in child.holds:
        child.release(booking_id, now)
    await offer_freed_places(uow, day, now)
    return BookingCancelled(
        id=booking_id, version=day.version, status="cancelled", refund_fen=refund
    )


async def announce_closure(
    uow: UnitOfWork,
    now: datetime,
    *,
    institution_id: UUID,
    day: date,
    room_id: UUID | None,
    reason: str,
    by: UUID | None,
) -> ClosureAccepted:
    """Close a room (or every room) for a day: no more bookings, every booking already made
    for it is cancelled by the institution and refunded in full, every regular place that
    day gets the day's price back (the child is free to be booked elsewhere then), and its
    waitlist ends (offers too), with the reason given."""
    institution = await administered(uow, institution_id, by)
    institution.announce_closure(day, room_id, reason, now)
    why = f"机构停课：{reason}"  # as the families and the records read it
    cancelled = refunded = 0
    for room in [room_id] if room_id else list(institution.rooms):
        regular = await uow.find(RoomEnrolments, room_enrolments_id(room))
        for refund in regular.close_day(day, why, now) if regular else ():
            child = await uow.get(Child, refund.child_id, "child")
            child.free_regular_day(refund.enrolment_id, day, now)  # free to be booked elsewhere
            refunded += 1
        room_day = await uow.find(RoomDay, room_day_id(room, day))
        if room_day is None:
            continue
        room_day.close_waitlist(why, now)
        for booking_id, booking in list(room_day.bookings.items()):
            room_day.cancel(booking_id, by_institution=True, reason=why, now=now, by=by)
            child = await uow.get(Child, booking.child_id, "child")
            if booking_id in child.holds:
                child.release(booking_id, now)
            cancelled += 1
    return ClosureAccepted(
        id=institution.id, version=institution.version, cancelled=cancelled,
        regular_places_refunded=refunded,
    )  # fmt: skip


async def offer_freed_places(uow: UnitOfWork, room_day: RoomDay, now: datetime) -> None:
    """A place came free on this room-day: the waitlist gets its offers, in the same command.
    Only to children who can still take it: whose visit has not begun, and who have not been
    booked meanwhile for an overlapping time (they keep their place in the line). Only the
    children of entries the room has a place for are read (a full room reads none)."""
    waiting = [e for e in room_day.waitlist.values() if e.offered_until is None]
    if not waiting:
        return
    institution, terms, enrolled = await _room_day_terms(uow, room_day)
    waiting = [e for e in waiting if room_day.has_place_for(e, terms, now, enrolled)]
    if not waiting:
        return
    await uow.prefetch([e.child_id for e in waiting])
    open_until = {}
    for entry in waiting:
        hold = entry_hold(entry, room_day, institution.timezone)
        child = await uow.find(Child, entry.child_id)
        if hold.starts_at > now and child is not None and child.is_free(hold):
            open_until[entry.entry_id] = hold.starts_at
    minutes = institution.booking_settings.waitlist_offer_minutes
    room_day.offer_freed_places(terms, minutes, now, open_until, enrolled)


def entry_hold(entry: WaitlistEntry, room_day: RoomDay, timezone: str) -> Hold:
    """The child's time a waitlist entry would take, were its place booked."""
    return Hold(
        entry.entry_id, local_instant(entry.day, entry.start, timezone),
        local_instant(entry.day, entry.end, timezone), entry.day, entry.start, entry.end,
        room_day.room_id,
    )  # fmt: skip


async def withdraw_offers_without_place(uow: UnitOfWork, room_day: RoomDay, now: datetime) -> None:
    """A booking of this room-day took its place back (its child back in the room, or a
    drop-off replayed from before its release): open offers the room can no longer hold are
    withdrawn, in the same command, rather than left for a family to be refused as full when it
    takes one (ADR 0024); the family is told and waits again in its place in line."""
    if not any(e.offered_until is not None and e.offered_until > now
               for e in room_day.waitlist.values()):  # fmt: skip
        return
    _, terms, enrolled = await _room_day_terms(uow, room_day)
    room_day.withdraw_offers_without_place(terms, now, enrolled)


async def _room_day_terms(
    uow: UnitOfWork, room_day: RoomDay
) -> tuple[Institution, DayTerms, list[Presence]]:
    """The room-day's institution, its room's terms that day, and the day's regular places."""
    institution = await uow.get(Institution, room_day.institution_id, "institution")
    terms = institution.day_terms(
        room_day.room_id, room_day.day, await class_rules_of(uow, institution)
    )
    return institution, terms, await enrolled_on(uow, room_day.room_id, room_day.day)
