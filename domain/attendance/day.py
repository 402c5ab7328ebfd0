"""AttendanceDay aggregate: one institution on one local day: who is in which room right now
(children and clocked-in staff), the day's care log, ratio alarms and pick-up escalations.

A child's arrival, pick-up and room move are decided in children_in_rooms.py, a carer's clock-in
and clock-out in staff_in_rooms.py (mixins); every event stays declared here, all in one place,
under the topics stored events and snapshots name (`domain.attendance.day:AttendanceDay.…`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from functools import lru_cache
from uuid import UUID, uuid5

import msgspec

from domain.aggregate import TuoyuAggregate
from domain.attendance.care_log import (
    CareEntry,
    CareKind,
    RoomAt,
    about_erased_children,
    check_entry,
    children_cared_for,
)
from domain.attendance.children_in_rooms import ChildrenInRoomsMixin
from domain.attendance.corrections import VisitCorrection, check_correction, corrected_visit
from domain.attendance.health import HealthCheck
from domain.attendance.replays import close_open_stay, in_room_at
from domain.attendance.room_alarms import RoomAlarmsMixin
from domain.attendance.room_moves import RoomMove
from domain.attendance.room_ratio import RoomStatus
from domain.attendance.staff_in_rooms import StaffInRoomsMixin
from domain.attendance.uncollected import UncollectedMixin
from domain.attendance.values import CheckInMethod, Collector, PresentChild, Visit
from domain.clocks import CLOCK_SKEW

ATTENDANCE_DAY_NAMESPACE = UUID("6f1d2c3b-8a47-4e0b-9b5e-2d7c1a9f4e36")


@lru_cache(maxsize=65_536)  # a name-based id (SHA-1) costs ~20 µs; asked several times per command
def attendance_day_id(institution_id: UUID, day: date) -> UUID:
    return uuid5(ATTENDANCE_DAY_NAMESPACE, f"{institution_id}/{day.isoformat()}")


class AttendanceDay(
    ChildrenInRoomsMixin, StaffInRoomsMixin, RoomAlarmsMixin, UncollectedMixin, TuoyuAggregate
):
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
            day.escalated_at.pop(self.child_id, None)
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
            day.escalated_at[self.child_id] = self.at

    def __init__(self, institution_id: UUID, day: date, timezone: str) -> None:
        self.institution_id = institution_id
        self.day = day
        self.timezone = timezone
        self.present = {}
        self.collected = {}
        self.staff = {}
        self.alarms = {}
        self.escalations = {}
        self.escalated_at = {}
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

    def care_covering(self, entry: CareEntry) -> CareEntry:
        """The entry checked, naming the children it covers: those named, or every child in
        the room at its time (nothing is recorded)."""
        check_entry(entry)
        in_room = RoomAt(
            all=tuple(in_room_at(self.visits, entry.room_id, entry.at)),
            named=frozenset(in_room_at(self.visits, entry.room_id, entry.at, CLOCK_SKEW)),
            still_here=frozenset(c for c, p in self.present.items() if p.room_id == entry.room_id),
        )
        children = children_cared_for(entry, in_room, self.napping)
        return msgspec.structs.replace(entry, child_ids=children)

    def log_care(
        self, entry: CareEntry, now: datetime, *, erased: Collection[UUID] = ()
    ) -> CareEntry:
        """Record care for the named children, or for every child present in the room.
        `erased`: children it covers whose data was erased (`about_erased_children`)."""
        entry = about_erased_children(self.care_covering(entry), erased)
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
