"""Carers in the rooms of an attendance day: clocking in to a room (from another, a move) and
out of it; a carer counts toward a room's ratio only while clocked in there. Mixed into
AttendanceDay (kept apart to keep files small); the events it emits are declared on
AttendanceDay."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.attendance.replays import check_no_stay_after
from domain.attendance.room_ratio import RoomRules
from domain.attendance.two_days import PeopleOfADay
from domain.attendance.values import NotClockedIn
from domain.errors import AlreadyExists, InvalidValue

if TYPE_CHECKING:
    from domain.attendance.values import Visit


class StaffInRoomsMixin:
    """A carer's clock-in and clock-out, decided on the day's state."""

    if TYPE_CHECKING:  # the day's state and events, provided by AttendanceDay
        staff: dict[UUID, UUID]
        staff_stays: dict[UUID, list[Visit]]
        StaffClockedIn: type[Any]
        StaffClockedOut: type[Any]

        def emit(self, event_class: type[Any], now: datetime, **fields: Any) -> None: ...
        def _watch(
            self, room: RoomRules, at: datetime, now: datetime,
            next_day: PeopleOfADay | None = None, day_before: PeopleOfADay | None = None,
        ) -> None: ...  # fmt: skip

    def clock_in(
        self, staff_id: UUID, room: RoomRules, left: RoomRules | None, at: datetime, now: datetime,
        *, day_before: PeopleOfADay | None = None,
    ) -> None:  # fmt: skip
        """Clock into `room`; from another room (`left`), this is a move: out there, in here.
        After midnight both rooms' alarms are judged with who stayed on from the `day_before`
        (a child nobody collected counts in the room the carer leaves)."""
        current = self.staff.get(staff_id)
        if current == room.room_id:
            raise AlreadyExists("already clocked in to this room", field="room_id")
        check_no_stay_after(self.staff_stays.get(staff_id, ()), at)
        if current is not None:
            self._check_after_clock_in(staff_id, at, "the move")
        if current is not None and left is not None:
            self.emit(self.StaffClockedOut, now, staff_id=staff_id, room_id=current, at=at)
            self._watch(left, at, now, day_before=day_before)
        self.emit(self.StaffClockedIn, now, staff_id=staff_id, room_id=room.room_id, at=at)
        self._watch(room, at, now, day_before=day_before)

    def clock_out(
        self, staff_id: UUID, room: RoomRules, at: datetime, now: datetime, *,
        next_day: PeopleOfADay | None = None, day_before: PeopleOfADay | None = None,
    ) -> None:  # fmt: skip
        """Clock out of `room`; its alarm is judged on who stays. After midnight that is the
        people of two days: a carer still on the day before's record leaves the room to those
        of the `next_day` too, one on the new day's to those who stayed on from the
        `day_before` (domain/attendance/two_days.py)."""
        if self.staff.get(staff_id) != room.room_id:
            raise NotClockedIn("not clocked in to this room", field="room_id")
        self._check_after_clock_in(staff_id, at, "the clock-out")
        self.emit(self.StaffClockedOut, now, staff_id=staff_id, room_id=room.room_id, at=at)
        self._watch(room, at, now, next_day, day_before)

    def _check_after_clock_in(self, staff_id: UUID, at: datetime, what: str) -> None:
        """A carer's stay ends after it began (a phone replaying late must not end it before)."""
        since = next(
            (v.arrived for v in self.staff_stays.get(staff_id, ()) if v.left is None), None
        )
        if since is not None and at < since:
            raise InvalidValue(
                f"{what} at {at.isoformat()} is before the clock-in at {since.isoformat()}",
                field="at",
            )
