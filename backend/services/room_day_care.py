"""Staff in rooms and the day's care: clock in, out and between rooms; log naps, meals, checks,
medication and incidents; escalate children not collected after closing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple
from uuid import UUID

import msgspec

from api_schema.common import CommandAccepted
from backend.services.after_midnight import the_day_before
from backend.services.attendance import (
    attendance_day,
    check_device_time,
    day_of_stay,
    local_moment,
    room_rules,
    staffed_institution,
)
from backend.services.bookings import local_instant
from backend.services.institutions import class_rules_of
from backend.unit_of_work import UnitOfWork
from domain.account.aggregate import Account
from domain.attendance.care_after_midnight import care_on_both_days
from domain.attendance.care_log import CareEntry, CareKind
from domain.attendance.day import AttendanceDay, attendance_day_id
from domain.attendance.room_ratio import RoomRules
from domain.child.aggregate import Child
from domain.institution.aggregate import Institution

FALLBACK_CLOSING = 18 * 60  # a day with no opening hours (a child kept on a closed day)


async def clock_in(
    uow: UnitOfWork, now: datetime, *, institution_id: UUID, room_id: UUID, by: UUID, at: datetime
) -> CommandAccepted:
    """Clock in to a room, or move to it from another room of the institution; a carer on a
    shift at another institution is refused (they count toward one ratio at a time)."""
    on = await _staff_room_day(uow, now, institution_id, room_id, by, at)
    current = on.today.staff.get(by)
    rules = await class_rules_of(uow, on.institution)  # the city read for `room`, in this decision
    left = room_rules(on.institution, current, rules) if current is not None else None
    on.today.clock_in(by, on.room, left, at, now, day_before=on.day_before)
    if current is None:
        account = await uow.get(Account, by, "account")
        account.start_shift(on.institution.id, at, now)
    return CommandAccepted(id=by, version=on.today.version)


async def clock_out(
    uow: UnitOfWork, now: datetime, *, institution_id: UUID, room_id: UUID, by: UUID, at: datetime
) -> CommandAccepted:
    """Clock out of the day the carer is clocked in on: after midnight, still the day before
    (they stayed with a child nobody collected)."""
    on = await _staff_room_day(uow, now, institution_id, room_id, by, at, staying=True)
    on.today.clock_out(by, on.room, at, now, next_day=on.next_day, day_before=on.day_before)
    account = await uow.get(Account, by, "account")
    account.end_shift(on.institution.id, at, now)
    return CommandAccepted(id=by, version=on.today.version)


class StaffRoomDay(NamedTuple):
    """Where a carer's clock command is decided: the institution (`by` on its staff), the
    room's rules, the attendance day it goes on, and after midnight the other day whose people
    are in the rooms too: the `next_day` of a carer still on the day before's record, or the
    `day_before` of the new day (in an institution open across midnight)."""

    institution: Institution
    room: RoomRules
    today: AttendanceDay
    next_day: AttendanceDay | None = None
    day_before: AttendanceDay | None = None


async def _staff_room_day(
    uow: UnitOfWork,
    now: datetime,
    institution_id: UUID,
    room_id: UUID,
    by: UUID,
    at: datetime,
    *,
    staying: bool = False,
) -> StaffRoomDay:
    """The day of `at` (`staying`: the day before while `by` is still clocked in on it)."""
    check_device_time(at, now)
    institution, _ = await staffed_institution(uow, institution_id, by)
    room = room_rules(institution, room_id, await class_rules_of(uow, institution))
    day, _ = local_moment(at, institution.timezone)
    if staying:
        found = await day_of_stay(uow, institution.id, by, at, institution.timezone)
        if found is not None and found.day != day:  # read already by day_of_stay
            next_day = await uow.find(AttendanceDay, attendance_day_id(institution.id, day))
            return StaffRoomDay(institution, room, found, next_day=next_day)
    today = await attendance_day(uow, institution, day, now)
    return StaffRoomDay(institution, room, today,
                        day_before=await the_day_before(uow, institution, day))  # fmt: skip


async def log_care(
    uow: UnitOfWork, now: datetime, *, institution_id: UUID, entry: CareEntry
) -> CommandAccepted:
    """Record one care entry; medication only against the child's guardian's authorisation.
    After midnight in an institution open across it, the children who stayed on from the day
    before have their part of it on that day's record (domain/attendance/care_after_midnight)."""
    check_device_time(entry.at, now)
    institution, _ = await staffed_institution(uow, institution_id, entry.by)
    institution.require_room(entry.room_id)
    day, _ = local_moment(entry.at, institution.timezone)
    today = await attendance_day(uow, institution, day, now)
    if entry.kind is CareKind.medication and entry.authorisation_id and entry.child_ids:
        child = await uow.get(Child, entry.child_ids[0], "child")
        authorisation = child.give_dose(entry.authorisation_id, day, entry.at, now)
        entry = CareEntry(
            entry.entry_id, entry.kind, entry.room_id, entry.child_ids, entry.at, entry.by,
            note=entry.note, authorisation_id=entry.authorisation_id,
            medicine=authorisation.medicine, dose=authorisation.dose_to_give(entry.dose),
        )  # fmt: skip
    before = await the_day_before(uow, institution, day)
    if before is None:
        parts = [(today, today.care_covering(entry))]
    else:
        theirs, ours = care_on_both_days(entry, before, today)
        parts = [(d, part) for d, part in ((before, theirs), (today, ours)) if part is not None]
    for record, part in parts:
        erased = await _erased_among(uow, [c for c in part.child_ids if c not in record.present])
        record.log_care(part, now, erased=erased)
    return CommandAccepted(id=entry.entry_id, version=parts[-1][0].version)


async def _erased_among(uow: UnitOfWork, children: list[UUID]) -> set[UUID]:
    """Those of `children` whose data was erased. Asked only of children an entry covers who
    are gone (a tablet replaying it): a child present cannot be erased (erasure waits until it
    is collected), so live care reads no child. Their streams are read in one round trip, and
    their versions checked by the append: an erasure racing the entry makes it conflict."""
    if not children:
        return set()
    await uow.prefetch(children)
    found = [await uow.find(Child, child_id) for child_id in children]
    return {c.id for c in found if c is not None and c.erased_at is not None}


def pick_up_due(institution: Institution, day: date) -> datetime:
    """Closing time of that day plus the institution's grace, as a UTC instant."""
    closes = [i.closes for i in institution.opening_hours if i.weekday == day.isoweekday()]
    closing = max(closes) if closes else FALLBACK_CLOSING
    grace = institution.booking_settings.uncollected_after_minutes
    return local_instant(day, closing + grace, institution.timezone)


class Escalated(msgspec.Struct, frozen=True):
    """What the escalation job did to one attendance day (stored as the command's answer)."""

    id: UUID
    version: int
    raised: int
    position: int | None = None
    replayed: bool = False


async def escalate_uncollected(uow: UnitOfWork, now: datetime, *, day_id: UUID) -> Escalated:
    """Escalate every child still present past closing + grace; each level fires once. A
    child whose booking or regular place at the institution covers now is in care, not
    uncollected (a night's booking after its evening's, in a room open round the clock); once
    that care has ended it is escalated from the care's end + grace."""
    today = await uow.get(AttendanceDay, day_id, "attendance_day")
    institution = await uow.get(Institution, today.institution_id, "institution")
    every = timedelta(minutes=institution.booking_settings.escalate_every_minutes)
    due = pick_up_due(institution, today.day)
    due_for = await _care_past_closing(uow, institution, today, (due, every), now)
    raised = today.escalate_uncollected(due, every, now, due_for=due_for)
    return Escalated(id=today.id, version=today.version, raised=raised)


async def _care_past_closing(
    uow: UnitOfWork, institution: Institution, today: AttendanceDay,
    schedule: tuple[datetime, timedelta], now: datetime,
) -> dict[UUID, datetime | None]:  # fmt: skip
    """For each child whose escalation falls due now at the day's closing + grace, its own due
    time where its care ran past that closing (the care's end + grace), or None while care
    covers it now. Only those children's streams are read (in one round trip): care only ever
    puts a child's escalation later, so the others are not due anyway."""
    due, every = schedule
    children = today.escalations_due(due, every, now)
    if not children:
        return {}
    await uow.prefetch(children)
    grace = timedelta(minutes=institution.booking_settings.uncollected_after_minutes)
    rooms, local = set(institution.rooms), local_moment(now, institution.timezone)
    days = [today.day + timedelta(days=n) for n in range((local[0] - today.day).days + 1)]
    due_for: dict[UUID, datetime | None] = {}
    for child_id in children:
        child = await uow.find(Child, child_id)
        if child is None:
            continue
        if child.in_care_at(rooms, now, local):
            due_for[child_id] = None
        elif ended := child.care_ended(rooms, due - grace, now, days, institution.timezone):
            due_for[child_id] = max(due, ended + grace)
    return due_for


async def judge_rooms_at_rules_in_force(
    uow: UnitOfWork, now: datetime, *, day_id: UUID
) -> CommandAccepted:
    """Judge every room of the attendance day again at the size and ratio in force now, after
    the city's class rules or a room's own changed while children were present (ADR 0022): a
    room out of bounds gets its alarm, one back within them its recovery, as an arrival or a
    clock-out would have recorded. Changes nothing when every alarm already says so."""
    today = await uow.get(AttendanceDay, day_id, "attendance_day")
    institution = await uow.get(Institution, today.institution_id, "institution")
    rules = await class_rules_of(uow, institution)  # read at a version: a change meanwhile retries
    today.judge_rooms([room_rules(institution, r, rules) for r in institution.rooms], now)
    return CommandAccepted(id=today.id, version=today.version)
