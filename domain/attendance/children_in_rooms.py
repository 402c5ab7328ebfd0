"""Children in the rooms of an attendance day: the arrival with the morning check, the pick-up
and a move to another room. Mixed into AttendanceDay (kept apart to keep files small); the
events it emits are declared on AttendanceDay."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

import msgspec

from domain.attendance.health import AbnormalOutcome, HealthCheck, check_health_check
from domain.attendance.replays import check_no_visit_after, is_replayed, present_at, status_at
from domain.attendance.room_alarms import status_in
from domain.attendance.room_moves import (
    RoomMove,
    check_move_time,
    check_other_room,
    destination_status,
    override_needed,
)
from domain.attendance.room_ratio import RoomRules, check_room_takes
from domain.attendance.two_days import PeopleOfADay, stays_of_both, stays_with_the_day_before
from domain.attendance.values import (
    AbnormalCheckNeedsDecision,
    AlreadyCheckedIn,
    CheckInMethod,
    CodeAlreadyUsed,
    Collector,
    InstitutionFull,
    NotCheckedIn,
    PresentChild,
)
from domain.booking.room_day import RatioWouldBreak, RoomFull
from domain.clocks import CLOCK_SKEW
from domain.errors import InvalidValue

if TYPE_CHECKING:
    from domain.attendance.room_ratio import RoomStatus
    from domain.attendance.values import Visit


class ChildrenInRoomsMixin:
    """A child's arrival, pick-up and room move, decided on the day's state."""

    if TYPE_CHECKING:  # the day's state and events, provided by AttendanceDay
        present: dict[UUID, PresentChild]
        staff: dict[UUID, UUID]
        collected: dict[UUID, datetime]
        used_codes: set[str]
        visits: dict[UUID, list[Visit]]
        staff_stays: dict[UUID, list[Visit]]
        alarms: dict[UUID, str]
        ChildCheckedIn: type[Any]
        ChildTurnedAway: type[Any]
        ChildCheckedOut: type[Any]
        ChildMovedRoom: type[Any]

        def emit(self, event_class: type[Any], now: datetime, **fields: Any) -> None: ...
        def status_of(
            self, room: RoomRules, arriving: int | None = None, *,
            next_day: PeopleOfADay | None = None, day_before: PeopleOfADay | None = None,
        ) -> RoomStatus: ...  # fmt: skip
        def back_in_bounds(
            self, room_id: UUID, at: datetime, now: datetime, status: RoomStatus
        ) -> None: ...
        def here_now(
            self, *, next_day: PeopleOfADay | None = None, day_before: PeopleOfADay | None = None,
        ) -> tuple[dict[UUID, PresentChild], dict[UUID, UUID]]: ...  # fmt: skip
        def _watch(
            self, room: RoomRules, at: datetime, now: datetime,
            next_day: PeopleOfADay | None = None, day_before: PeopleOfADay | None = None,
        ) -> None: ...  # fmt: skip

    def check_in(
        self,
        child: PresentChild,
        room: RoomRules,
        *,
        filed_places: int,
        by: UUID,
        method: CheckInMethod,
        health: HealthCheck,
        outcome: AbnormalOutcome | None,
        note: str,
        override_reason: str | None,
        code: str | None,
        local_time: str,
        now: datetime,
        day_before: PeopleOfADay | None = None,
    ) -> Literal["checked_in", "turned_away"]:
        """Admit the child after the morning check; returns 'checked_in' or 'turned_away'.
        After midnight in an institution open across it, the room and the institution hold
        who stayed on from the `day_before` too (children not collected, carers still clocked
        in: domain/attendance/two_days.py), and the child's alarm is judged on both."""
        check_health_check(health)
        if child.child_id in self.present:
            raise AlreadyCheckedIn("the child is already checked in", field="child_id")
        replayed = is_replayed(child, now)
        if replayed:
            visits, _ = stays_with_the_day_before(self, day_before)
            check_no_visit_after(visits.get(child.child_id, ()), child)
        if code is not None and code in self.used_codes:
            raise CodeAlreadyUsed("this code was already used; ask for a fresh one", field="code")
        if health.abnormal():
            if outcome is None:
                raise AbnormalCheckNeedsDecision(
                    f"the morning check found {'、'.join(health.findings())}: admit with a note"
                    " or refuse",
                    field="abnormal_outcome",
                )
            if outcome is AbnormalOutcome.refuse:
                self.emit(
                    self.ChildTurnedAway, now, child_id=child.child_id, room_id=child.room_id,
                    at=child.since, by=by, health=health, note=note,
                )  # fmt: skip
                return "turned_away"
            if not note.strip():
                raise InvalidValue("admitting after an abnormal check needs a note", field="note")
        try:
            self._check_room_takes(child, room, filed_places, local_time, replayed, day_before)
            override_reason = None  # the room takes the child: nothing was overridden
        except (RoomFull, RatioWouldBreak, InstitutionFull):
            if override_reason is None:
                raise
        self.emit(
            self.ChildCheckedIn, now, child=child, by=by, method=method, health=health,
            note=note, override_reason=override_reason, code=code,
        )  # fmt: skip
        self._watch(room, child.since, now, day_before=day_before)
        return "checked_in"

    def _check_room_takes(
        self, child: PresentChild, room: RoomRules, filed_places: int, local_time: str,
        replayed: bool, day_before: PeopleOfADay | None,
    ) -> None:  # fmt: skip
        """Live, the room as it is now; replayed, the room as it was at the child's arrival;
        either with who stayed on from the `day_before`. The child counts once, in this room,
        even if the day before still has it (a child nobody collected, checked in again)."""
        if replayed:  # the others' visits: one of its own ending within the skew is not another
            visits, staff_stays = stays_with_the_day_before(self, day_before)
            others = {c: v for c, v in visits.items() if c != child.child_id}
            status = status_at(
                room, others, staff_stays, child.since, child.children_per_carer,
                staff_slack=CLOCK_SKEW,
            )  # fmt: skip
            in_institution = present_at(others, child.since) + 1
        else:
            present, staff_in = self.here_now(day_before=day_before)
            present = {**present, child.child_id: child}
            status = status_in(room, present, staff_in)
            in_institution = len(present)
        check_room_takes(status, in_institution, filed_places, local_time)

    def present_child(self, child_id: UUID) -> PresentChild:
        child = self.present.get(child_id)
        if child is None:
            left = self.collected.get(child_id)
            if left is not None:
                raise NotCheckedIn(
                    f"the child was already collected at {left.isoformat()}", field="child_id"
                )
            raise NotCheckedIn("the child is not checked in today", field="child_id")
        return child

    def check_out(
        self,
        child_id: UUID,
        room: RoomRules,
        collector: Collector,
        *,
        by: UUID,
        at: datetime,
        code: str | None,
        now: datetime,
        next_day: PeopleOfADay | None = None,
        day_before: PeopleOfADay | None = None,
    ) -> PresentChild:
        """The child leaves with `collector`; the room's alarm is judged on who stays (after
        midnight, the people of both days: the `next_day`'s for a child of this day collected
        after it, the `day_before`'s for one of the new day)."""
        child = self.present_child(child_id)
        if at < child.since:
            raise InvalidValue("the pick-up time is before the arrival", field="at")
        if code is not None and code in self.used_codes:
            raise CodeAlreadyUsed("this code was already used; ask for a fresh one", field="code")
        self.emit(
            self.ChildCheckedOut, now, child_id=child_id, room_id=child.room_id, at=at, by=by,
            collector=collector, code=code,
        )  # fmt: skip
        self._watch(room, at, now, next_day, day_before)
        return child

    def move_child(
        self, move: RoomMove, from_room: RoomRules, to_room: RoomRules, *, local_time: str,
        now: datetime, next_day: PeopleOfADay | None = None,
    ) -> RoomMove:  # fmt: skip
        """Move a present child to another room; the new room must take it (or an admin
        overrides); both rooms' alarms are judged again. A move after midnight of a child still
        here from this day is judged on the rooms with who came on the `next_day` too (the
        attendance day of `move.at`: its carers count, its children take places). Returns the
        move as recorded."""
        present = self.present_child(move.child.child_id)
        check_other_room(present, move.child.room_id)
        if to_room.room_id != move.child.room_id or from_room.room_id != present.room_id:
            raise InvalidValue("the rooms' rules given are not the move's rooms", field="room_id")
        check_move_time(present, move.at)
        visits, staff_stays = stays_of_both(self, next_day)
        status = destination_status(
            move.child, to_room, visits, staff_stays,
            self.status_of(to_room, arriving=move.child.children_per_carer, next_day=next_day),
            now,
        )  # fmt: skip
        reason = override_needed(status, move.override_reason, local_time)
        move = msgspec.structs.replace(move, from_room_id=present.room_id, override_reason=reason)
        self.emit(self.ChildMovedRoom, now, move=move)
        self._watch(from_room, move.at, now, next_day)
        self._watch(to_room, move.at, now, next_day)
        return move
