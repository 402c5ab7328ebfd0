"""Drop-off and pick-up: a caregiver checks a child in (with the morning check) against its booking
or regular place, and out to an adult allowed to collect it; no-shows are released by the ticker.

Every attendance command carries the device's time (`at`): offline tablets replay later and the
facts keep their real time. The local day of `at` picks the institution's attendance day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar.exceptions import PermissionDeniedException

from api_schema.attendance import CheckInAccepted, CheckOutAccepted
from api_schema.common import CommandAccepted
from backend.auth import attendance_codes
from backend.services.after_midnight import night_reads, the_day_before
from backend.services.bookings import offer_freed_places
from backend.services.institutions import class_rules_of
from backend.services.room_day_stays import (
    booking_arrived,
    here_from_the_day_before,
    stay_at_institution_ended,
    stay_ended,
)
from backend.unit_of_work import UnitOfWork
from domain.account.aggregate import account_id_for, normalise_phone
from domain.attendance.day import AttendanceDay, attendance_day_id
from domain.attendance.health import AbnormalOutcome, HealthCheck
from domain.attendance.room_ratio import RoomRules
from domain.attendance.values import (
    CheckInMethod,
    Collector,
    IdentityCheck,
    NotCheckedIn,
    PresentChild,
    RoomClosedThatDay,
)
from domain.booking.eligibility import children_per_carer
from domain.booking.room_day import RoomDay, room_day_id
from domain.child.aggregate import Child, age_in_months
from domain.class_types import ClassRules
from domain.clocks import CLOCK_SKEW, REPLAY_WINDOW
from domain.errors import InvalidValue, RuleViolated
from domain.institution.aggregate import Institution
from domain.institution.kinds import StaffRole
from domain.institution.values import hhmm


def local_moment(at: datetime, timezone: str, field: str = "at") -> tuple[date, int]:
    """The institution's local day and minute after midnight of an instant (a device's time at
    the calendar's ends, which has no local day there, is refused naming `field`)."""
    try:
        local = at.astimezone(ZoneInfo(timezone))
    except OverflowError:
        raise InvalidValue(
            "the time has no local day: check the device clock", field=field
        ) from None
    return local.date(), local.hour * 60 + local.minute


def check_device_time(at: datetime, now: datetime) -> None:
    """A device's clock may run a little ahead; a replay may come up to a day late."""
    if at.tzinfo is None:
        raise InvalidValue("the device time needs a UTC offset", field="at")
    if at > now + CLOCK_SKEW:
        raise InvalidValue("the device time is in the future: check the device clock", field="at")
    if at < now - REPLAY_WINDOW:
        raise InvalidValue(
            "recorded more than 24 h ago: too late to replay from a device", field="at"
        )


def room_rules(institution: Institution, room_id: UUID, rules: ClassRules) -> RoomRules:
    """The room's size and ratio in force (never looser than its city's class `rules`)."""
    room = institution.room_in_force(room_id, rules)
    return RoomRules(room.room_id, room.capacity, room.children_per_carer)


async def staffed_institution(
    uow: UnitOfWork, institution_id: UUID, by: UUID
) -> tuple[Institution, StaffRole]:
    """The institution, checked on the aggregate itself that `by` is on its staff."""
    institution = await uow.get(Institution, institution_id, "institution")
    role = institution.staff.get(by)
    if role is None:
        raise PermissionDeniedException("only staff of this institution")
    return institution, role


async def attendance_day(
    uow: UnitOfWork, institution: Institution, day: date, now: datetime
) -> AttendanceDay:
    found = await uow.find(AttendanceDay, attendance_day_id(institution.id, day))
    if found is None:
        found = AttendanceDay.open(institution.id, day, now, institution.timezone)
        uow.add(found)
    return found


@dataclass(frozen=True)
class Arrival:
    institution_id: UUID
    room_id: UUID
    child_id: UUID
    at: datetime
    by: UUID
    method: CheckInMethod
    code: str | None
    health: HealthCheck
    outcome: AbnormalOutcome | None
    note: str
    override_reason: str | None
    day_hint: date | None = None  # the local day as routing saw it: read with the rest at once


def arrival_reads(arrival: Arrival) -> list[UUID]:
    """The streams a check-in reads (its day's as routing saw it): read in one round trip."""
    streams = [arrival.institution_id, arrival.child_id]
    if arrival.day_hint is not None:
        streams += [
            attendance_day_id(arrival.institution_id, arrival.day_hint),
            room_day_id(arrival.room_id, arrival.day_hint),
        ]
    return streams


async def check_in(
    uow: UnitOfWork, now: datetime, arrival: Arrival, secret: str
) -> CheckInAccepted:
    check_device_time(arrival.at, now)
    await uow.prefetch(arrival_reads(arrival))  # one round trip for all four when the hint holds
    institution, role = await staffed_institution(uow, arrival.institution_id, arrival.by)
    if arrival.override_reason is not None and role is not StaffRole.institution_admin:
        raise PermissionDeniedException("only an institution admin may override the ratio")
    room = institution.require_room(arrival.room_id)
    day, minute = local_moment(arrival.at, institution.timezone)
    closed = institution.closed_reason(room.room_id, day, announced_by=arrival.at)
    if closed is not None:
        raise RoomClosedThatDay(f"closed on {day.isoformat()}: {closed}", field="room_id")
    await uow.prefetch([attendance_day_id(institution.id, day), room_day_id(room.room_id, day),
                        *night_reads(institution, day)])  # fmt: skip
    child = await uow.get(Child, arrival.child_id, "child")
    child.check_fit_to_attend(day)
    child.check_not_present_elsewhere(institution.id, arrival.at)
    tolerance = institution.booking_settings.check_in_tolerance_minutes
    booking_id, enrolment_id = child.care_covering(room.room_id, arrival.at, day, minute, tolerance)
    code = None
    if arrival.method is CheckInMethod.app_code:
        code = attendance_codes.verify(secret, child.id, arrival.code, arrival.at)
        child.check_code_unused(code)  # at this institution or any other
    months = age_in_months(child.birth_date, day)
    rules = await class_rules_of(uow, institution)
    present = PresentChild(
        child.id, room.room_id, arrival.at,
        children_per_carer(room.class_type, room.children_per_carer, months, rules),
        booking_id, enrolment_id,
    )  # fmt: skip
    today = await attendance_day(uow, institution, day, now)
    status = today.check_in(
        present, room_rules(institution, room.room_id, rules),
        filed_places=institution.filed_places,
        by=arrival.by, method=arrival.method, health=arrival.health, outcome=arrival.outcome,
        note=arrival.note, override_reason=arrival.override_reason, code=code,
        local_time=hhmm(minute), now=now,
        day_before=await the_day_before(uow, institution, day),  # open across midnight only
    )  # fmt: skip
    if status == "checked_in":
        child.arrive(institution.id, day, arrival.at, code, now)  # here, and the day last attended
        if booking_id is not None:  # (a replayed arrival's booking may have ended since)
            await booking_arrived(uow, child, room.room_id, booking_id, arrival.at, arrival.by,
                                  now, day=day)  # fmt: skip
    return CheckInAccepted(
        id=child.id, version=today.version, status=status, room_id=room.room_id,
        local_time=hhmm(minute), booking_id=booking_id, enrolment_id=enrolment_id,
    )  # fmt: skip


@dataclass(frozen=True)
class Departure:
    institution_id: UUID
    child_id: UUID
    at: datetime
    by: UUID
    collector_name: str
    collector_phone: str
    identity_check: IdentityCheck
    code: str | None


async def day_of_stay(
    uow: UnitOfWork, institution_id: UUID, who: UUID, at: datetime, timezone: str
) -> AttendanceDay | None:
    """The attendance day of the stay of `who` (a child, or a carer clocked in) at `at`: the
    local day of `at`, or the day before while they are still here from it (a child collected
    after midnight, escalated all evening, and the carer who stayed with it)."""
    day, _ = local_moment(at, timezone)
    found = await uow.find(AttendanceDay, attendance_day_id(institution_id, day))
    if found is not None and found.has_here(who):
        return found
    before = await uow.find(AttendanceDay, attendance_day_id(institution_id, day - timedelta(1)))
    return before if before is not None and before.has_here(who) else found


async def check_out(
    uow: UnitOfWork, now: datetime, departure: Departure, secret: str
) -> CheckOutAccepted:
    check_device_time(departure.at, now)
    await uow.prefetch([departure.institution_id, departure.child_id])
    institution, _ = await staffed_institution(uow, departure.institution_id, departure.by)
    today = await day_of_stay(uow, institution.id, departure.child_id, departure.at,
                              institution.timezone)  # fmt: skip
    if today is None:
        raise NotCheckedIn("the child is not checked in today", field="child_id")
    day = today.day
    child = await uow.get(Child, departure.child_id, "child")
    present = today.present_child(child.id)
    phone = normalise_phone(departure.collector_phone)
    standing = child.collector_relation(phone, {account_id_for(phone)}, day, departure.at)
    code = None
    if departure.identity_check is IdentityCheck.app_code:
        if standing.relation != "guardian":
            raise InvalidValue("only a guardian's app shows a code", field="identity_check")
        code = attendance_codes.verify(secret, child.id, departure.code, departure.at)
        child.check_code_unused(code)  # at this institution or any other
    written = departure.collector_name.strip()
    name = standing.known_as or written  # as the guardians named them
    collector = Collector(name, phone, standing.relation, departure.identity_check,
                          stated_name="" if written == name else written,
                          blocked_since=standing.blocked_since)  # fmt: skip
    next_day, day_before = await _other_day(uow, institution, today, departure.at)
    today.check_out(
        child.id, room_rules(institution, present.room_id, await class_rules_of(uow, institution)),
        collector, by=departure.by, at=departure.at, code=code, now=now, next_day=next_day,
        day_before=day_before,
    )  # fmt: skip
    # at the institution since the earlier of the two (its stay there, or this room's)
    since = min(present.since, child.present_at.get(institution.id, present.since))
    child.leave(institution.id, departure.at, code, now)
    await stay_ended(uow, present, day, departure.at, departure.by, now,
                     timezone=institution.timezone)  # fmt: skip
    await stay_at_institution_ended(
        uow, child, present, since, day, departure.at, departure.by, now,
        timezone=institution.timezone, rooms=set(institution.rooms),
    )  # fmt: skip
    return CheckOutAccepted(
        id=child.id,
        version=today.version,
        relation=standing.relation,
        collector_blocked_since=standing.blocked_since,
    )


async def _other_day(
    uow: UnitOfWork, institution: Institution, today: AttendanceDay, at: datetime
) -> tuple[AttendanceDay | None, AttendanceDay | None]:
    """After midnight, the other day whose people are in the rooms beside `today`'s, as (next
    day, day before): the next day (read already by `day_of_stay`) for a stay of the day
    before, else the day before (in an institution open across midnight, after_midnight.py)."""
    day, _ = local_moment(at, institution.timezone)
    if day != today.day:
        return await uow.find(AttendanceDay, attendance_day_id(institution.id, day)), None
    return None, await the_day_before(uow, institution, day)


async def release_no_show(
    uow: UnitOfWork, now: datetime, *, room_day_id: UUID, booking_id: UUID
) -> CommandAccepted:
    """The system frees the place; the child's time is released too. A child turned away at
    the door today is released as such, not as a no-show; a child present anywhere in the
    institution (kept on in another room, or still here from the day before: nobody collected
    it by midnight) is not released."""
    room_day = await uow.get(RoomDay, room_day_id, "room_day")
    institution = await uow.get(Institution, room_day.institution_id, "institution")
    after = institution.booking_settings.no_show_after_minutes
    child_id = room_day.child_of.get(booking_id)
    today = await uow.find(AttendanceDay, attendance_day_id(institution.id, room_day.day))
    here = today.present.get(child_id) if today is not None and child_id else None
    if here is None and child_id is not None:
        here = await here_from_the_day_before(uow, institution.id, room_day.day, child_id)
    if here is not None:  # in this room from an earlier booking, or still in another room
        raise RuleViolated("the child is here (from an earlier booking): not a no-show",
                           field="booking_id")  # fmt: skip
    turned_away = today is not None and child_id in today.turned_away
    booking = room_day.release_no_show(booking_id, after, now, turned_away=turned_away)
    child = await uow.find(Child, booking.child_id)  # found even if erased since: freed alike
    if child is not None and booking_id in child.holds:
        child.release(booking_id, now)
    await offer_freed_places(uow, room_day, now)
    return CommandAccepted(id=booking_id, version=room_day.version)
