"""AttendanceDay aggregate: one institution on one local day: who is in which room right now
(children and clocked-in staff), the day's care log, ratio alarms and pick-up escalations."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal
from uuid import UUID, uuid5

import msgspec

from domain.aggregate import TuoyuAggregate
from domain.attendance.care_log import (
    CareEntry,
    CareKind,
    RoomAt,
    check_entry,
    children_cared_for,
)
from domain.attendance.corrections import VisitCorrection, check_correction, corrected_visit
from domain.attendance.health import AbnormalOutcome, HealthCheck, check_health_check
from domain.attendance.replays import (
    check_no_stay_after,
    check_no_visit_after,
    close_open_stay,
    in_room_at,
    is_replayed,
    present_at,
    status_at,
)
from domain.attendance.room_moves import (
    RoomMove,
    check_move_time,
    check_other_room,
    destination_status,
    override_needed,
)
from domain.attendance.room_ratio import RoomRules, RoomStatus, check_room_takes, room_status
from domain.attendance.values import (
    AbnormalCheckNeedsDecision,
    AlreadyCheckedIn,
    CheckInMethod,
    CodeAlreadyUsed,
    Collector,
    InstitutionFull,
    NotCheckedIn,
    NotClockedIn,
    PresentChild,
    Visit,
)
from domain.booking.room_day import RatioWouldBreak, RoomFull
from domain.clocks import CLOCK_SKEW
from domain.errors import AlreadyExists, InvalidValue

ATTENDANCE_DAY_NAMESPACE = UUID("6f1d2c3b-8a47-4e0b-9b5e-2d7c1a9f4e36")


@lru_cache(maxsize=65_536)  # a name-based id (SHA-1) costs ~20 µs; asked several times per command
def attendance_day_id(institution_id: UUID, day: date) -> UUID:
    return uuid5(ATTENDANCE_DAY_NAMESPACE, f"{institution_id}/{day.isoformat()}")


class AttendanceDay(TuoyuAggregate):
    institution_id: UUID
    day: date
    timezone: str
    present: dict[UUID, PresentChild]
    collected: dict[UUID, datetime]  # children who left, and when
    staff: dict[UUID, UUID]  # clocked-in staff → their room
    alarms: dict[UUID, str]  # room → 'size' or 'ratio' while out of bounds
    escalations: dict[UUID, int]  # child → how many times the late pick-up was escalated
    used_codes: set[str]
    napping: dict[UUID, datetime]
    visits: dict[UUID, list[Visit]]  # child → its stays in rooms today, in the order recorded
    staff_stays: dict[UUID, list[Visit]]  # carer → their stays in rooms today (clock-in to out)
    turned_away: set[UUID]  # children refused at the door today and not let in since

    class Opened(TuoyuAggregate.Created):
        institution_id: UUID
        day: date
        timezone: str = "Asia/Shanghai"  # the institution's, for local times in read models

    class ChildCheckedIn(TuoyuAggregate.Event):
        child: PresentChild
        by: UUID
        method: CheckInMethod
        health: HealthCheck
        note: str
        override_reason: str | None
        code: str | None

        def apply(self, day: AttendanceDay) -> None:
            day.present[self.child.child_id] = self.child
            day.collected.pop(self.child.child_id, None)
            day.turned_away.discard(self.child.child_id)  # let in after all (checked again)
            day.visits.setdefault(self.child.child_id, []).append(
                Visit(
                    self.child.room_id,
                    self.child.since,
                    children_per_carer=self.child.children_per_carer,
                )  # fmt: skip
            )
            if self.code:
                day.used_codes.add(self.code)

    class ChildTurnedAway(TuoyuAggregate.Event):
        """The morning check was abnormal and the carer refused admission."""

        child_id: UUID
        room_id: UUID
        at: datetime
        by: UUID
        health: HealthCheck
        note: str

        def apply(self, day: AttendanceDay) -> None:
            day.turned_away.add(self.child_id)

    class ChildCheckedOut(TuoyuAggregate.Event):
        child_id: UUID
        room_id: UUID
        at: datetime
        by: UUID
        collector: Collector
        code: str | None

        def apply(self, day: AttendanceDay) -> None:
            day.present.pop(self.child_id, None)
            day.napping.pop(self.child_id, None)
            day.escalations.pop(self.child_id, None)
            day.collected[self.child_id] = self.at
            if self.code:
                day.used_codes.add(self.code)
            close_open_stay(day.visits.get(self.child_id, []), self.at)

    class ChildMovedRoom(TuoyuAggregate.Event):
        """The child went to another room of the institution (domain/attendance/room_moves.py):
        its stay there ends, one here begins; nobody collected it."""

        move: RoomMove

        def apply(self, day: AttendanceDay) -> None:
            child = self.move.child
            day.present[child.child_id] = child
            day.napping.pop(child.child_id, None)  # a nap in the old room ends with the stay
            stays = day.visits.setdefault(child.child_id, [])
            close_open_stay(stays, child.since)
            stays.append(Visit(child.room_id, child.since,
                               children_per_carer=child.children_per_carer))  # fmt: skip

    class VisitCorrected(TuoyuAggregate.Event):
        """An admin added a missed visit or put right a visit's times
        (domain/attendance/corrections.py)."""

        correction: VisitCorrection

        def apply(self, day: AttendanceDay) -> None:
            c = self.correction
            visits = day.visits.setdefault(c.child_id, [])
            if c.replaces is None:
                visits.append(c.visit())
            else:
                visits[:] = [
                    corrected_visit(v, c) if v.arrived == c.replaces else v for v in visits
                ]
            present = day.present.get(c.child_id)
            if present is not None and present.since == c.replaces:
                day.present[c.child_id] = msgspec.structs.replace(present, since=c.arrived)
            if present is None and c.left is not None:
                day.collected[c.child_id] = max(v.left for v in visits if v.left is not None)

    class StaffClockedIn(TuoyuAggregate.Event):
        staff_id: UUID
        room_id: UUID
        at: datetime

        def apply(self, day: AttendanceDay) -> None:
            day.staff[self.staff_id] = self.room_id
            day.staff_stays.setdefault(self.staff_id, []).append(Visit(self.room_id, self.at))

    class StaffClockedOut(TuoyuAggregate.Event):
        staff_id: UUID
        room_id: UUID
        at: datetime

        def apply(self, day: AttendanceDay) -> None:
            day.staff.pop(self.staff_id, None)
            close_open_stay(day.staff_stays.get(self.staff_id, []), self.at)

    class CareLogged(TuoyuAggregate.Event):
        entry: CareEntry

        def apply(self, day: AttendanceDay) -> None:
            e = self.entry
            for child_id in e.child_ids:
                here = day.present.get(child_id)
                if here is None or here.room_id != e.room_id:  # replayed after it left: history
                    continue
                if e.kind is CareKind.nap_start:
                    day.napping[child_id] = e.at
                elif e.kind is CareKind.nap_end:
                    day.napping.pop(child_id, None)

    class RoomOutOfBounds(TuoyuAggregate.Event):
        """Ratio alarm: the room broke its staff ratio or class size (a carer clocked out…)."""

        room_id: UUID
        at: datetime
        breach: str
        status: RoomStatus

        def apply(self, day: AttendanceDay) -> None:
            day.alarms[self.room_id] = self.breach

    class RoomBackInBounds(TuoyuAggregate.Event):
        room_id: UUID
        at: datetime
        status: RoomStatus

        def apply(self, day: AttendanceDay) -> None:
            day.alarms.pop(self.room_id, None)

    class UncollectedEscalated(TuoyuAggregate.Event):
        child_id: UUID
        room_id: UUID
        level: int  # 1: guardians; from 2: guardians and the institution's admins
        at: datetime

        def apply(self, day: AttendanceDay) -> None:
            day.escalations[self.child_id] = self.level

    def __init__(self, institution_id: UUID, day: date, timezone: str) -> None:
        self.institution_id = institution_id
        self.day = day
        self.timezone = timezone
        self.present = {}
        self.collected = {}
        self.staff = {}
        self.alarms = {}
        self.escalations = {}
        self.used_codes = set()
        self.napping = {}
        self.visits = {}
        self.staff_stays = {}
        self.turned_away = set()

    @classmethod
    def open(
        cls, institution_id: UUID, day: date, now: datetime, timezone: str = "Asia/Shanghai"
    ) -> AttendanceDay:
        return cls._create(
            cls.Opened, id=attendance_day_id(institution_id, day), timestamp=now,
            institution_id=institution_id, day=day, timezone=timezone,
        )  # fmt: skip

    def has_here(self, person: UUID) -> bool:
        """A child checked in, or a carer clocked in, that day and not gone yet."""
        return person in self.present or person in self.staff

    def status_of(self, room: RoomRules, arriving: int | None = None) -> RoomStatus:
        """The room now, with a child of ratio `arriving` in (at the room's ratio in force)."""
        needs = [c.children_per_carer for c in self.present.values() if c.room_id == room.room_id]
        if arriving is not None:
            needs.append(arriving)
        staff = sum(1 for r in self.staff.values() if r == room.room_id)
        return room_status(needs, staff, room.capacity, room.children_per_carer)

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
    ) -> Literal["checked_in", "turned_away"]:
        """Admit the child after the morning check; returns 'checked_in' or 'turned_away'."""
        check_health_check(health)
        if child.child_id in self.present:
            raise AlreadyCheckedIn("the child is already checked in", field="child_id")
        replayed = is_replayed(child, now)
        if replayed:
            check_no_visit_after(self.visits.get(child.child_id, ()), child)
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
            self._check_room_takes(child, room, filed_places, local_time, replayed)
            override_reason = None  # the room takes the child: nothing was overridden
        except (RoomFull, RatioWouldBreak, InstitutionFull):
            if override_reason is None:
                raise
        self.emit(
            self.ChildCheckedIn, now, child=child, by=by, method=method, health=health,
            note=note, override_reason=override_reason, code=code,
        )  # fmt: skip
        self._watch(room, child.since, now)
        return "checked_in"

    def _check_room_takes(
        self, child: PresentChild, room: RoomRules, filed_places: int, local_time: str,
        replayed: bool,
    ) -> None:  # fmt: skip
        """Live, the room as it is now; replayed, the room as it was at the child's arrival."""
        if replayed:  # the others' visits: one of its own ending within the skew is not another
            others = {c: v for c, v in self.visits.items() if c != child.child_id}
            status = status_at(
                room, others, self.staff_stays, child.since, child.children_per_carer,
                staff_slack=CLOCK_SKEW,
            )  # fmt: skip
            in_institution = present_at(others, child.since) + 1
        else:
            status = self.status_of(room, arriving=child.children_per_carer)
            in_institution = len(self.present) + 1
        check_room_takes(status, in_institution, filed_places, local_time)

    def _watch(self, room: RoomRules, at: datetime, now: datetime) -> None:
        """Raise the room's alarm when it leaves its bounds, clear it when it returns."""
        status = self.status_of(room)
        breach, was = status.breach, self.alarms.get(room.room_id)
        if breach is not None and breach != was:
            self.emit(
                self.RoomOutOfBounds, now, room_id=room.room_id, at=at, breach=breach,
                status=status,
            )  # fmt: skip
        elif breach is None and was is not None:
            self.emit(self.RoomBackInBounds, now, room_id=room.room_id, at=at, status=status)

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
    ) -> PresentChild:
        child = self.present_child(child_id)
        if at < child.since:
            raise InvalidValue("the pick-up time is before the arrival", field="at")
        if code is not None and code in self.used_codes:
            raise CodeAlreadyUsed("this code was already used; ask for a fresh one", field="code")
        self.emit(
            self.ChildCheckedOut, now, child_id=child_id, room_id=child.room_id, at=at, by=by,
            collector=collector, code=code,
        )  # fmt: skip
        self._watch(room, at, now)
        return child

    def move_child(
        self, move: RoomMove, from_room: RoomRules, to_room: RoomRules, *, local_time: str,
        now: datetime,
    ) -> RoomMove:  # fmt: skip
        """Move a present child to another room; the new room must take it (or an admin
        overrides); both rooms' alarms are judged again. Returns the move as recorded."""
        present = self.present_child(move.child.child_id)
        check_other_room(present, move.child.room_id)
        if to_room.room_id != move.child.room_id or from_room.room_id != present.room_id:
            raise InvalidValue("the rooms' rules given are not the move's rooms", field="room_id")
        check_move_time(present, move.at)
        status = destination_status(
            move.child, to_room, self.visits, self.staff_stays,
            self.status_of(to_room, arriving=move.child.children_per_carer), now,
        )  # fmt: skip
        reason = override_needed(status, move.override_reason, local_time)
        move = msgspec.structs.replace(move, from_room_id=present.room_id, override_reason=reason)
        self.emit(self.ChildMovedRoom, now, move=move)
        self._watch(from_room, move.at, now)
        self._watch(to_room, move.at, now)
        return move

    def clock_in(
        self, staff_id: UUID, room: RoomRules, left: RoomRules | None, at: datetime, now: datetime
    ) -> None:
        """Clock into `room`; from another room (`left`), this is a move: out there, in here."""
        current = self.staff.get(staff_id)
        if current == room.room_id:
            raise AlreadyExists("already clocked in to this room", field="room_id")
        check_no_stay_after(self.staff_stays.get(staff_id, ()), at)
        if current is not None:
            self._check_after_clock_in(staff_id, at, "the move")
        if current is not None and left is not None:
            self.emit(self.StaffClockedOut, now, staff_id=staff_id, room_id=current, at=at)
            self._watch(left, at, now)
        self.emit(self.StaffClockedIn, now, staff_id=staff_id, room_id=room.room_id, at=at)
        self._watch(room, at, now)

    def clock_out(self, staff_id: UUID, room: RoomRules, at: datetime, now: datetime) -> None:
        if self.staff.get(staff_id) != room.room_id:
            raise NotClockedIn("not clocked in to this room", field="room_id")
        self._check_after_clock_in(staff_id, at, "the clock-out")
        self.emit(self.StaffClockedOut, now, staff_id=staff_id, room_id=room.room_id, at=at)
        self._watch(room, at, now)

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

    def log_care(self, entry: CareEntry, now: datetime) -> CareEntry:
        """Record care for the named children, or for every child present in the room."""
        check_entry(entry)
        in_room = RoomAt(
            all=tuple(in_room_at(self.visits, entry.room_id, entry.at)),
            named=frozenset(in_room_at(self.visits, entry.room_id, entry.at, CLOCK_SKEW)),
            still_here=frozenset(c for c, p in self.present.items() if p.room_id == entry.room_id),
        )
        children = children_cared_for(entry, in_room, self.napping)
        entry = msgspec.structs.replace(entry, child_ids=children)
        self.emit(self.CareLogged, now, entry=entry)
        return entry

    def correct_visit(
        self, correction: VisitCorrection, now: datetime, *, child_erased: bool = False
    ) -> None:
        """Add a missed visit or replace a visit's times, as an admin corrects the register.
        `child_erased`: the child's data was erased, so its reason is not recorded."""
        visits = self.visits.get(correction.child_id, [])
        recorded = check_correction(correction, visits, self.day, self.timezone, now,
                                    child_erased=child_erased)  # fmt: skip
        self.emit(self.VisitCorrected, now, correction=recorded)

    def escalate_uncollected(self, due: datetime, every: timedelta, now: datetime) -> int:
        """Past closing + grace (`due`), escalate each child still here, again every `every`;
        each level fires once, so however many workers run this, nobody is told twice."""
        raised = 0
        for child_id, child in self.present.items():
            level = self.escalations.get(child_id, 0)
            if now >= due + every * level:
                self.emit(
                    self.UncollectedEscalated, now, child_id=child_id, room_id=child.room_id,
                    level=level + 1, at=now,
                )  # fmt: skip
                raised += 1
        return raised
