"""What a child's guardians and carers record for attendance: health records, who may collect the
child (standing adults, one-day delegates, a "must not collect" list), medication authorisations,
and the day the child last attended (for the re-examination rule). Mixed into Child. A pick-up is
judged against these in domain/child/pickup_rights.py, at its own time."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec

from domain.aggregate import TuoyuAggregate
from domain.child.medication import (
    DoseLimitReached,
    MedicationAuthorisation,
    MedicationNotAuthorised,
    check_given_before_withdrawal,
    dose_day,
)
from domain.child.pickup_rights import CollectorBlocked, EndedPickupRight
from domain.clocks import CLOCK_SKEW, families_today
from domain.errors import AlreadyExists, InvalidValue, RuleViolated, require_text

AWAY_MONTHS_BEFORE_REEXAMINATION = 3  # 托育机构管理规范: away ≥ 3 months → re-examined
# What personal fields read as once the child's key is destroyed (see TuoyuAggregate.Event).
ERASED_DAY = date(1900, 1, 1)
NOBODY = UUID(int=0)


class HealthRecordKind(StrEnum):
    admission = "admission"  # 入托体检 with the vaccination record checked
    re_examination = "re_examination"  # after ≥ 3 months away


class HealthRecord(msgspec.Struct, frozen=True):
    kind: HealthRecordKind
    examined_on: date
    passed: bool
    vaccination_checked: bool
    recorded_by: UUID
    note: str = ""


class Delegate(msgspec.Struct, frozen=True):
    """An adult a guardian named to collect the child on one day only."""

    name: str
    phone: str
    day: date


class BlockedCollector(msgspec.Struct, frozen=True):
    name: str
    phone: str
    reason: str


class CareNotCovered(RuleViolated):
    code = "no-care-today"


class HealthRecordMissing(RuleViolated):
    code = "admission-health-record-missing"


class ReexaminationRequired(RuleViolated):
    code = "re-examination-required"


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


class ChildCareMixin:
    """Attendance-related events and rules of a Child (kept apart to keep files small)."""

    birth_date: date
    guardians: tuple[UUID, ...]
    pickup_adults: tuple[Any, ...]
    health_records: tuple[HealthRecord, ...]
    delegates: tuple[Delegate, ...]
    blocked: tuple[BlockedCollector, ...]
    medication: dict[UUID, MedicationAuthorisation]
    # Kept since after snapshots were first written: a snapshot without them loads with the
    # class's empty dict (a fresh one per child: msgspec copies it, `init_care` sets its own).
    medication_withdrawn: dict[UUID, datetime] = {}  # authorisation → when a guardian withdrew it
    doses_given: dict[str, int] = {}  # dose_day(authorisation, day) → doses, at any institution
    last_attended: date | None
    emit: Any
    if TYPE_CHECKING:  # the family changes' event (domain/child/family_changes.py), not state
        PickupDelegationWithdrawn: Any

    class HealthRecorded(TuoyuAggregate.Event):
        record: HealthRecord
        personal = ("record",)
        erased = {
            "record": HealthRecord(HealthRecordKind.admission, ERASED_DAY, False, False, NOBODY)
        }

        def apply(self, child: Any) -> None:
            child.health_records = (*child.health_records, self.record)

    class PickupDelegated(TuoyuAggregate.Event):
        delegate: Delegate
        personal = ("delegate",)
        erased = {"delegate": Delegate("", "", ERASED_DAY)}

        def apply(self, child: Any) -> None:
            child.delegates = (*child.delegates, self.delegate)

    class CollectionBlocked(TuoyuAggregate.Event):
        person: BlockedCollector
        personal = ("person",)
        erased = {"person": BlockedCollector("", "", "")}

        def apply(self, child: Any) -> None:
            phone = self.person.phone
            child.blocked = (*child.blocked, self.person)
            child.note_block(phone, self.timestamp)
            for adult in child.pickup_adults:  # no longer a standing pick-up adult from now
                if adult.phone == phone:
                    child.end_pickup_right(EndedPickupRight(
                        "authorised_adult", adult.name, phone, self.timestamp
                    ))  # fmt: skip
            child.pickup_adults = tuple(a for a in child.pickup_adults if a.phone != phone)

    class MedicationAuthorised(TuoyuAggregate.Event):
        authorisation: MedicationAuthorisation
        personal = ("authorisation",)
        erased = {
            "authorisation": MedicationAuthorisation(
                NOBODY, "", "", 1, ERASED_DAY, ERASED_DAY, NOBODY
            )
        }

        def apply(self, child: Any) -> None:
            child.medication[self.authorisation.authorisation_id] = self.authorisation

    class DoseGiven(TuoyuAggregate.Event):
        """A dose given against an authorisation on a local day (where: the attendance day's
        care log says; counted here, so a day's limit holds across institutions)."""

        authorisation_id: UUID
        day: date
        personal = ("authorisation_id", "day")  # which days a child had medicine: health data
        erased = {"authorisation_id": NOBODY, "day": ERASED_DAY}

        def apply(self, child: Any) -> None:
            key = dose_day(self.authorisation_id, self.day)
            child.doses_given[key] = child.doses_given.get(key, 0) + 1

    class Attended(TuoyuAggregate.Event):
        day: date

        def apply(self, child: Any) -> None:
            if child.last_attended is None or self.day > child.last_attended:
                child.last_attended = self.day

    def init_care(self) -> None:
        self.health_records = ()
        self.delegates = ()
        self.blocked = ()
        self.medication = {}
        self.medication_withdrawn = {}
        self.doses_given = {}
        self.last_attended = None

    def record_health(self, record: HealthRecord, today: date, now: datetime) -> None:
        if record.examined_on > today:
            raise InvalidValue("the examination date is in the future", field="examined_on")
        if record.examined_on < self.birth_date:
            raise InvalidValue("the examination date is before the child's birth",
                               field="examined_on")  # fmt: skip
        if record.kind is HealthRecordKind.admission and not record.vaccination_checked:
            raise InvalidValue(
                "an admission record needs the vaccination record checked",
                field="vaccination_checked",
            )
        self.emit(self.HealthRecorded, now, record=record)

    def check_fit_to_attend(self, day: date) -> None:
        """Admission check passed; and after ≥ 3 months away, a re-examination since."""
        admitted = [
            r for r in self.health_records if r.kind is HealthRecordKind.admission and r.passed
        ]
        if not admitted:
            raise HealthRecordMissing(
                "no passed admission health check (入托体检) is on record", field="child_id"
            )
        last = self.last_attended
        if last is None or day < add_months(last, AWAY_MONTHS_BEFORE_REEXAMINATION):
            return  # a first attendance, or back within three months
        if any(r.passed and r.examined_on > last for r in self.health_records):
            return
        raise ReexaminationRequired(
            f"away since {last.isoformat()} (≥ {AWAY_MONTHS_BEFORE_REEXAMINATION} months):"
            " a re-examination is needed before returning",
            field="child_id",
            since=last.isoformat(),
        )

    def note_attended(self, day: date, now: datetime) -> None:
        if self.last_attended is None or day > self.last_attended:
            self.emit(self.Attended, now, day=day)

    def delegate_pickup(self, delegate: Delegate, today: date, now: datetime) -> None:
        require_text(name=delegate.name)
        if delegate.day < today:
            raise InvalidValue("a delegate is named for today or a later day", field="day")
        if any(b.phone == delegate.phone for b in self.blocked):
            raise CollectorBlocked("this person must not collect the child", field="phone")
        if any((d.phone, d.day) == (delegate.phone, delegate.day) for d in self.delegates):
            raise AlreadyExists(  # the door and the profile would each show one of the names
                f"this person is already named to collect the child on {delegate.day.isoformat()}"
                ": withdraw that first to name them anew", field="phone",
            )  # fmt: skip
        self.emit(self.PickupDelegated, now, delegate=delegate)

    def block_collector(self, person: BlockedCollector, now: datetime) -> None:
        require_text(name=person.name)
        if any(b.phone == person.phone for b in self.blocked):
            raise AlreadyExists("this person is already on the list", field="phone")
        for delegate in self.delegates:  # named for a day: no longer, nor once the block lifts
            if delegate.phone == person.phone:
                self.emit(self.PickupDelegationWithdrawn, now, phone=delegate.phone,
                          day=delegate.day)  # fmt: skip
        self.emit(self.CollectionBlocked, now, person=person)

    def authorise_medication(self, authorisation: MedicationAuthorisation, now: datetime) -> None:
        require_text(medicine=authorisation.medicine, dose=authorisation.dose)
        if authorisation.first_day < families_today(now):
            raise InvalidValue("an authorisation starts today or later", field="first_day")
        if authorisation.last_day < authorisation.first_day:
            raise InvalidValue("the last day is before the first", field="last_day")
        if not 1 <= authorisation.max_doses_per_day <= 6:
            raise InvalidValue("1–6 doses a day", field="max_doses_per_day")
        authorisation = msgspec.structs.replace(authorisation, authorised_at=now)
        self.emit(self.MedicationAuthorised, now, authorisation=authorisation)

    def medication_for(
        self, authorisation_id: UUID, day: date, at: datetime
    ) -> MedicationAuthorisation:
        """The guardian's authorisation a dose given at `at` (local `day`) is logged against:
        in force that day, given after it was made and before any withdrawal of it (a tablet
        replays a dose late)."""
        authorisation = self.medication.get(authorisation_id)
        if authorisation is None or not (authorisation.first_day <= day <= authorisation.last_day):
            raise MedicationNotAuthorised(
                "no guardian's authorisation covers this medicine today", field="authorisation_id"
            )
        since = authorisation.authorised_at
        if since is not None and at < since - CLOCK_SKEW:
            raise MedicationNotAuthorised(
                f"the dose at {at.isoformat()} was given before the guardian authorised it at"
                f" {since.isoformat()}", field="at",
            )  # fmt: skip
        check_given_before_withdrawal(self.medication_withdrawn.get(authorisation_id), at)
        return authorisation

    def give_dose(
        self, authorisation_id: UUID, day: date, at: datetime, now: datetime
    ) -> MedicationAuthorisation:
        """Count a dose given at `at` (local `day`) against the guardian's authorisation, whose
        doses a day are the child's, at whichever institutions it is cared for that day."""
        authorisation = self.medication_for(authorisation_id, day, at)
        limit = authorisation.max_doses_per_day
        if self.doses_given.get(dose_day(authorisation_id, day), 0) >= limit:
            raise DoseLimitReached(
                f"the guardian authorised at most {limit} dose(s) a day",
                field="authorisation_id",
            )
        self.emit(self.DoseGiven, now, authorisation_id=authorisation_id, day=day)
        return authorisation
