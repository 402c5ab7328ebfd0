"""A room's bounds on an attendance day: its status now (children by the ratio each needs,
carers clocked in, at the room's size and ratio in force), and its alarm raised when it leaves
them and cleared when it returns. Mixed into AttendanceDay (kept apart to keep files small); the
events it emits are declared on AttendanceDay."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.attendance.room_ratio import RoomRules, RoomStatus, room_status
from domain.attendance.two_days import PeopleOfADay, here_on_both

if TYPE_CHECKING:
    from domain.attendance.values import PresentChild, Visit


class RoomAlarmsMixin:
    """Whether each room holds its bounds now, and the alarms that say when it does not."""

    if TYPE_CHECKING:  # the day's state and events, provided by AttendanceDay
        present: dict[UUID, PresentChild]
        staff: dict[UUID, UUID]
        visits: dict[UUID, list[Visit]]
        staff_stays: dict[UUID, list[Visit]]
        alarms: dict[UUID, str]
        RoomOutOfBounds: type[Any]
        RoomBackInBounds: type[Any]

        def emit(self, event_class: type[Any], now: datetime, **fields: Any) -> None: ...

    def status_of(
        self, room: RoomRules, arriving: int | None = None, *, next_day: PeopleOfADay | None = None,
        day_before: PeopleOfADay | None = None,
    ) -> RoomStatus:  # fmt: skip
        """The room now, with a child of ratio `arriving` in (at the room's ratio in force);
        after midnight, with who came on the `next_day` too, or who stayed on from the
        `day_before` (domain/attendance/two_days.py)."""
        present, staff_in = self.here_now(next_day=next_day, day_before=day_before)
        return status_in(room, present, staff_in, arriving)

    def here_now(
        self, *, next_day: PeopleOfADay | None = None, day_before: PeopleOfADay | None = None
    ) -> tuple[dict[UUID, PresentChild], dict[UUID, UUID]]:
        """The children present and the carers clocked in now, by room: this day's, and after
        midnight those of the other day too (someone on both is the later day's)."""
        if day_before is not None:
            return here_on_both(day_before, self)
        return here_on_both(self, next_day)

    def _watch(
        self, room: RoomRules, at: datetime, now: datetime, next_day: PeopleOfADay | None = None,
        day_before: PeopleOfADay | None = None,
    ) -> None:  # fmt: skip
        """Raise the room's alarm when it leaves its bounds, clear it when it returns. After
        midnight the room is the people of two days, and its alarm may stand on the other
        day's record (raised by what happened there): a room back in bounds clears it there
        too, and a breach that record already has is not raised again."""
        status = self.status_of(room, next_day=next_day, day_before=day_before)
        other = next_day if next_day is not None else day_before
        breach, was = status.breach, self.alarms.get(room.room_id)
        theirs = other.alarms.get(room.room_id) if other is not None else None
        if breach is not None and breach != was and (was is not None or breach != theirs):
            self.emit(
                self.RoomOutOfBounds, now, room_id=room.room_id, at=at, breach=breach,
                status=status,
            )  # fmt: skip
        elif breach is None:
            self.back_in_bounds(room.room_id, at, now, status)
            if other is not None:
                other.back_in_bounds(room.room_id, at, now, status)

    def back_in_bounds(
        self, room_id: UUID, at: datetime, now: datetime, status: RoomStatus
    ) -> None:
        """Clear the room's alarm, if this day holds one: the room is within its bounds."""
        if room_id in self.alarms:
            self.emit(self.RoomBackInBounds, now, room_id=room_id, at=at, status=status)

    def judge_rooms(self, rooms: Iterable[RoomRules], now: datetime) -> None:
        """Judge each room again as it stands now, at `rooms`' size and ratio in force: the
        rules changed while children were present (a city's class rules, a room's own), and
        no arrival or clock-out came since to raise (or clear) the alarm. A room whose
        alarm already says what the room is now gets nothing."""
        for room in rooms:
            self._watch(room, now, now)


def status_in(
    room: RoomRules, present: dict[UUID, PresentChild], staff_in: dict[UUID, UUID],
    arriving: int | None = None,
) -> RoomStatus:  # fmt: skip
    """The room among the children `present` and carers `staff_in` (each with its room), with
    a child of ratio `arriving` in, at the room's ratio in force."""
    needs = [c.children_per_carer for c in present.values() if c.room_id == room.room_id]
    if arriving is not None:
        needs.append(arriving)
    staff = sum(1 for r in staff_in.values() if r == room.room_id)
    return room_status(needs, staff, room.capacity, room.children_per_carer)
