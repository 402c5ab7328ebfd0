"""Decisions about regular places: enrol a child for a term on set weekdays, or end it early."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from litestar.exceptions import PermissionDeniedException

from api_schema.common import CommandAccepted
from backend.services.bookings import local_instant
from backend.services.children import guarded_child
from backend.services.institutions import class_rules_of
from backend.unit_of_work import UnitOfWork
from domain.booking.eligibility import check_age_fits, children_per_carer
from domain.booking.enrolment import (
    Ending,
    Enrolment,
    RoomEnrolments,
    room_enrolments_id,
    term_days,
)
from domain.booking.room_day import RoomDay, room_day_id
from domain.booking.terms import CareType, price_fen
from domain.booking.visit_rules import covering_offer
from domain.child.aggregate import Child, RegularHold
from domain.class_types import ClassRules
from domain.errors import InvalidValue
from domain.institution.aggregate import Institution
from domain.institution.kinds import StaffRole


@dataclass(frozen=True)
class EnrolmentRequest:
    enrolment_id: UUID
    guardian_id: UUID
    child_id: UUID
    institution_id: UUID
    room_id: UUID
    care_type: CareType
    weekdays: tuple[int, ...]
    first_day: date
    last_day: date
    start: int
    end: int


async def enrol(uow: UnitOfWork, now: datetime, request: EnrolmentRequest) -> CommandAccepted:
    child = await guarded_child(uow, request.child_id, request.guardian_id)
    institution = await uow.get(Institution, request.institution_id, "institution")
    if request.first_day < institution.local_date(now):
        raise InvalidValue("a term starts today or later: days gone cannot be taken",
                           field="first_day")  # fmt: skip
    rules = await class_rules_of(uow, institution)
    weekdays = tuple(sorted(set(request.weekdays)))
    days = term_days(request.first_day, request.last_day, weekdays)
    closed = tuple(d for d in days if institution.closed_reason(request.room_id, d) is not None)
    # Age is judged on the days the term really holds (a Mon/Wed/Fri term from a Tuesday first
    # holds the Wednesday); at its first the child is youngest, so needs most care. With no day
    # held, the calendar dates stand in and enrolling names what is wrong.
    held = [d for d in days if d not in closed] or days or [request.first_day, request.last_day]
    first_terms = institution.day_terms(request.room_id, held[0], rules)
    months = check_age_fits(first_terms.class_type, child.birth_date, held[0], rules)
    check_age_fits(first_terms.class_type, child.birth_date, held[-1], rules)
    week = week_prices(institution, request, days, rules)
    enrolment = Enrolment(
        enrolment_id=request.enrolment_id, child_id=child.id, guardian_id=request.guardian_id,
        care_type=request.care_type, weekdays=weekdays, first_day=request.first_day,
        last_day=request.last_day, start=request.start, end=request.end,
        price_fen=sum(week[d.isoweekday() - 1] for d in days if d not in closed),
        children_per_carer=children_per_carer(
            first_terms.class_type, first_terms.children_per_carer, months, rules
        ),
        week_prices_fen=week, uncharged=closed, refund_policy=institution.refund_policy,
    )  # fmt: skip
    room = await uow.find(RoomEnrolments, room_enrolments_id(request.room_id))
    if room is None:
        room = RoomEnrolments.open(request.room_id, institution.id, now)
        uow.add(room)
    booked_on = {}
    for day in days:  # each existing room-day is read at a version: a racing booking conflicts
        room_day = await uow.find(RoomDay, room_day_id(request.room_id, day))
        if room_day is not None:
            booked_on[day] = room_day.presences(now=now)
    room.enrol(
        enrolment, lambda d: institution.day_terms(request.room_id, d, rules), booked_on, now
    )
    child.hold_regular(
        RegularHold(enrolment.enrolment_id, enrolment.weekdays, enrolment.first_day,
                    enrolment.last_day, enrolment.start, enrolment.end, request.room_id,
                    freed=enrolment.uncharged,  # days closed already hold the child nowhere
                    timezone=institution.timezone),
        now,
    )  # fmt: skip
    return CommandAccepted(id=enrolment.enrolment_id, version=room.version)


def week_prices(
    institution: Institution, request: EnrolmentRequest, days: list[date], rules: ClassRules
) -> tuple[int, ...]:
    """A day's price on each weekday of the term, Monday to Sunday, by the offer that covers
    the place's hours on that weekday (offers differ by weekday); 0 on days not taken, or
    not offered (enrolling then names the day that fails)."""
    week = [0] * 7
    for day in days:
        offers = institution.day_terms(request.room_id, day, rules).offers
        offer = covering_offer(offers, request.care_type, request.start, request.end)
        if offer is not None:
            week[day.isoweekday() - 1] = price_fen(offer, request.end - request.start)
    return tuple(week)


async def end_enrolment(
    uow: UnitOfWork,
    now: datetime,
    *,
    room_id: UUID,
    enrolment_id: UUID,
    last_day: date,
    by: UUID,
) -> CommandAccepted:
    """A guardian of the child, or an admin of the institution, ends the term early; the paid
    days given up are refunded (in full when the institution ends it) and the family told."""
    room, child, ending = await _ending(uow, now, room_id, enrolment_id, last_day, by)
    room.end(ending, by, now)
    if child is not None:
        child.shorten_regular(enrolment_id, last_day, now)
    return CommandAccepted(id=enrolment_id, version=room.version)


async def ending_preview(
    uow: UnitOfWork, now: datetime, *, room_id: UUID, enrolment_id: UUID, last_day: date, by: UUID
) -> tuple[Ending, str]:
    """What ending the term on `last_day` now would refund the caller's side, and the rule in
    words: decided as ending it would be, nothing written."""
    room, _, ending = await _ending(uow, now, room_id, enrolment_id, last_day, by)
    if ending.by_institution:
        return ending, "机构提前结束常规托位，之后已付费的日子全额退款。"
    policy = ending.enrolment.refund_policy
    if policy is None:
        institution = await uow.get(Institution, room.institution_id, "institution")
        policy = institution.refund_policy
    return ending, f"之后已付费的每一天按报名时的退款规则退款：{policy.describe()}"


async def _ending(
    uow: UnitOfWork, now: datetime, room_id: UUID, enrolment_id: UUID, last_day: date, by: UUID
) -> tuple[RoomEnrolments, Child | None, Ending]:
    """The room, the child and what ending the term would give back, if `by` may end it: a
    guardian of the child (under the term's refund policy) or an admin (a full refund)."""
    room = await uow.get(RoomEnrolments, room_enrolments_id(room_id), "enrolments")
    enrolment = room.enrolments.get(enrolment_id)
    child = await uow.get(Child, enrolment.child_id, "child") if enrolment else None
    institution = await uow.get(Institution, room.institution_id, "institution")
    by_institution = child is None or not child.is_guardian(by)
    if by_institution and institution.staff.get(by) is not StaffRole.institution_admin:
        raise PermissionDeniedException("only a guardian of the child or an admin")
    start = enrolment.start if enrolment else 0
    ending = room.ending(
        enrolment_id, last_day, today=institution.local_date(now),
        starts_at=lambda d: local_instant(d, start, institution.timezone),
        fallback_policy=institution.refund_policy, by_institution=by_institution, now=now,
    )  # fmt: skip
    return room, child, ending
