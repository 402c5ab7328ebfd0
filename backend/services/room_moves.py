"""A child moves between rooms of one institution during the day (转班): staff record it on the
day, and the rooms' bookings follow: the old room's ends, the new room's counts as attended.

Who may: an admin of the institution, or a caregiver clocked in to the child's room or to the
room it goes to. The new room is judged as a drop-off there would be (the child's age for its
class type, a booking or regular place covering the move, the class size and staff ratio),
but nobody collects the child, the guardian is not told it left, and no morning check is
repeated (docs/adr/0024)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from litestar.exceptions import PermissionDeniedException

from api_schema.attendance import RoomMoveAccepted
from backend.services.attendance import (
    check_device_time,
    day_of_stay,
    local_moment,
    room_rules,
    staffed_institution,
)
from backend.services.institutions import class_rules_of
from backend.services.room_day_stays import booking_arrived, stay_ended
from backend.unit_of_work import UnitOfWork
from domain.attendance.day import AttendanceDay, attendance_day_id
from domain.attendance.room_moves import RoomMove, RoomNotInInstitution, check_other_room
from domain.attendance.values import NotCheckedIn, PresentChild, RoomClosedThatDay
from domain.booking.eligibility import check_age_fits, children_per_carer
from domain.child.aggregate import Child
from domain.clocks import CLOCK_SKEW
from domain.institution.kinds import StaffRole
from domain.institution.values import hhmm


@dataclass(frozen=True)
class Move:
    institution_id: UUID
    child_id: UUID
    to_room_id: UUID
    at: datetime
    by: UUID
    override_reason: str | None


async def move_room(uow: UnitOfWork, now: datetime, move: Move) -> RoomMoveAccepted:
    check_device_time(move.at, now)
    await uow.prefetch([move.institution_id, move.child_id])
    institution, role = await staffed_institution(uow, move.institution_id, move.by)
    if move.override_reason is not None and role is not StaffRole.institution_admin:
        raise PermissionDeniedException("only an institution admin may override the ratio")
    if move.to_room_id not in institution.rooms:
        raise RoomNotInInstitution(
            f"room {move.to_room_id} is not a room of {institution.name}: a child moves between"
            " rooms of one institution (elsewhere it is collected and checked in)",
            field="to_room_id",
        )
    to = institution.require_room(move.to_room_id)
    today = await day_of_stay(uow, institution.id, move.child_id, move.at, institution.timezone)
    if today is None:
        raise NotCheckedIn("the child is not checked in today", field="child_id")
    present = today.present_child(move.child_id)
    # The stay is the attendance day's; the new room is judged on the local day of the move (a
    # child nobody collected, moved after midnight, enters it on the next day), and holds who
    # came on that day as well as who stayed on from the day of the stay
    day, minute = local_moment(move.at, institution.timezone)
    next_day = None
    if day != today.day:
        next_day = await uow.find(AttendanceDay, attendance_day_id(institution.id, day))
    _check_may_move(today, next_day, role, move, present.room_id)
    check_other_room(present, to.room_id)
    closed = institution.closed_reason(to.room_id, day, announced_by=move.at)
    if closed is not None:
        raise RoomClosedThatDay(f"closed on {day.isoformat()}: {closed}", field="to_room_id")
    child = await uow.get(Child, move.child_id, "child")
    rules = await class_rules_of(uow, institution)
    months = check_age_fits(to.class_type, child.birth_date, day, rules)
    tolerance = institution.booking_settings.check_in_tolerance_minutes
    booking_id, enrolment_id = child.care_covering(to.room_id, move.at, day, minute, tolerance)
    moved = PresentChild(
        child.id, to.room_id, move.at,
        children_per_carer(to.class_type, to.children_per_carer, months, rules),
        booking_id, enrolment_id,
    )  # fmt: skip
    recorded = today.move_child(
        RoomMove(
            moved, present.room_id, move.by, move.override_reason,
            from_room_name=institution.require_room(present.room_id).name, to_room_name=to.name,
        ),
        room_rules(institution, present.room_id, rules), room_rules(institution, to.room_id, rules),
        local_time=hhmm(minute), now=now, next_day=next_day,
    )  # fmt: skip
    await _rooms_follow(uow, child, present, recorded, (today.day, day), institution.timezone,
                        now)  # fmt: skip
    return RoomMoveAccepted(
        id=child.id, version=today.version, from_room_id=present.room_id, room_id=to.room_id,
        local_time=hhmm(minute), booking_id=booking_id, enrolment_id=enrolment_id,
        override_reason=recorded.override_reason,
    )  # fmt: skip


def _check_may_move(
    today: AttendanceDay, next_day: AttendanceDay | None, role: StaffRole, move: Move,
    from_room: UUID,
) -> None:  # fmt: skip
    """An admin moves any child; a caregiver only one in, or coming to, a room they are (or,
    for a move a device replays late, were at its `at`) clocked in to: they see only their
    room (ADR 0021). After midnight, on the day of the stay or on the `next_day`, the day of
    the move (a carer who clocked in after midnight)."""
    if role is StaffRole.institution_admin:
        return
    rooms = (from_room, move.to_room_id)
    days = [today] if next_day is None else [today, next_day]
    if any(d.staff.get(move.by) in rooms for d in days):
        return
    stays = [v for d in days for v in d.staff_stays.get(move.by, ())]
    if not any(v.room_id in rooms and v.covers(move.at, CLOCK_SKEW) for v in stays):
        raise PermissionDeniedException(
            "only an admin, or a caregiver clocked in to the child's room or the room it goes to"
        )


async def _rooms_follow(
    uow: UnitOfWork, child: Child, present: PresentChild, move: RoomMove,
    days: tuple[date, date], timezone: str, now: datetime,
) -> None:  # fmt: skip
    """The old room's bookings of the child end at the move (its places freed for others);
    the new room's booking counts the child as arrived, so the no-show job leaves it be.
    `days`: the stay's attendance day and the local day of the move."""
    stay, moved_on = days
    await stay_ended(uow, present, stay, move.at, move.by, now, timezone=timezone)
    booking_id = move.child.booking_id
    if booking_id is not None:
        await booking_arrived(uow, child, move.child.room_id, booking_id, move.at, move.by, now,
                              day=moved_on)  # fmt: skip
