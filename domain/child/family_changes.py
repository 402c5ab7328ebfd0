"""What a guardian changes after registering a child: a standing pick-up adult or a one-day
delegate withdrawn, a "must not collect" block lifted, a medication authorisation withdrawn,
and the profile corrected (a typo in the name, a wrong birth date). Mixed into Child.

Each change is one event on the child's stream. What names a person, a medicine or the
child is sealed with the child's key like the event it undoes, and reads as `erased` once
the key is destroyed (docs/adr/0012)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.aggregate import TuoyuAggregate
from domain.child.care import ERASED_DAY, NOBODY, BlockedCollector, Delegate, HealthRecord
from domain.child.medication import MedicationAuthorisation, MedicationWithdrawn
from domain.child.pickup_rights import EndedPickupRight
from domain.child.profile import Sex, check_profile
from domain.clocks import families_today
from domain.errors import InvalidValue, NotFound


class PickupAdultNotFound(NotFound):
    code = "pickup-adult-not-found"


class DelegateNotFound(NotFound):
    code = "delegate-not-found"


class CollectorNotBlocked(NotFound):
    code = "collector-not-blocked"


class MedicationAuthorisationNotFound(NotFound):
    code = "medication-authorisation-not-found"


class FamilyChangesMixin:
    """The events and rules of a family's changes (kept apart to keep files small)."""

    name: str
    birth_date: date
    sex: Sex
    pickup_adults: tuple[Any, ...]
    health_records: tuple[HealthRecord, ...]
    delegates: tuple[Delegate, ...]
    blocked: tuple[BlockedCollector, ...]
    medication: dict[UUID, MedicationAuthorisation]
    medication_withdrawn: dict[UUID, datetime]
    emit: Any

    if TYPE_CHECKING:  # the aggregate's; not state of its own (snapshots read annotations)

        @property
        def created_on(self) -> datetime: ...

    class ProfileCorrected(TuoyuAggregate.Event):
        """A guardian put the child's name, birth date or sex right. Bookings and regular
        places already made stand; every later decision reads the corrected profile."""

        name: str
        birth_date: date
        sex: Sex
        personal = ("name", "birth_date")
        erased = {"name": "", "birth_date": ERASED_DAY}

        def apply(self, child: Any) -> None:
            child.name, child.birth_date, child.sex = self.name, self.birth_date, self.sex

    class PickupAdultWithdrawn(TuoyuAggregate.Event):
        """No longer a standing pick-up adult; not blocked: may be authorised again."""

        phone: str
        personal = ("phone",)
        erased = {"phone": ""}

        def apply(self, child: Any) -> None:
            for adult in child.pickup_adults:  # a pick-up from before now still stands
                if adult.phone == self.phone:
                    child.end_pickup_right(EndedPickupRight(
                        "authorised_adult", adult.name, self.phone, self.timestamp
                    ))  # fmt: skip
            child.pickup_adults = tuple(a for a in child.pickup_adults if a.phone != self.phone)

    class PickupDelegationWithdrawn(TuoyuAggregate.Event):
        """The one-day delegate named for `day` may no longer collect the child that day."""

        phone: str
        day: date
        personal = ("phone", "day")
        erased = {"phone": "", "day": ERASED_DAY}

        def apply(self, child: Any) -> None:
            named = (self.phone, self.day)
            for delegate in child.delegates:  # a pick-up from before now still stands
                if (delegate.phone, delegate.day) == named:
                    child.end_pickup_right(EndedPickupRight(
                        "delegate", delegate.name, self.phone, self.timestamp, self.day
                    ))  # fmt: skip
            child.delegates = tuple(d for d in child.delegates if (d.phone, d.day) != named)

    class CollectionBlockLifted(TuoyuAggregate.Event):
        """Off the "must not collect" list; not thereby authorised to collect."""

        phone: str
        personal = ("phone",)
        erased = {"phone": ""}

        def apply(self, child: Any) -> None:
            child.blocked = tuple(b for b in child.blocked if b.phone != self.phone)
            child.note_block_lifted(self.phone, self.timestamp)

    class MedicationAuthorisationWithdrawn(TuoyuAggregate.Event):
        """No dose given from now on stands against the authorisation; one given before does
        (a tablet replaying it late). Which medicine and when: health data, sealed."""

        authorisation_id: UUID
        personal = ("authorisation_id",)
        erased = {"authorisation_id": NOBODY}

        def apply(self, child: Any) -> None:
            child.medication_withdrawn[self.authorisation_id] = self.timestamp

    def correct_profile(self, name: str, birth_date: date, sex: Sex, now: datetime) -> None:
        """Held to registration's rules on the day of registration (as if registered right),
        and never born after an examination on record. The same profile again records
        nothing."""
        name = name.strip()
        check_profile(name, birth_date, families_today(self.created_on))
        examined = min((r.examined_on for r in self.health_records), default=None)
        if examined is not None and birth_date > examined:
            raise InvalidValue(
                f"the child was examined on {examined.isoformat()}, before that birth date",
                field="birth_date",
            )
        if (name, birth_date, sex) != (self.name, self.birth_date, self.sex):
            self.emit(self.ProfileCorrected, now, name=name, birth_date=birth_date, sex=sex)

    def withdraw_pickup_adult(self, phone: str, now: datetime) -> None:
        if not any(a.phone == phone for a in self.pickup_adults):
            raise PickupAdultNotFound(
                "nobody with this phone is a standing pick-up adult of the child", field="phone"
            )
        self.emit(self.PickupAdultWithdrawn, now, phone=phone)

    def withdraw_delegate(self, phone: str, day: date, today: date, now: datetime) -> None:
        if day < today:
            raise InvalidValue("a past day's delegate is history: it cannot be withdrawn",
                               field="day")  # fmt: skip
        if not any((d.phone, d.day) == (phone, day) for d in self.delegates):
            raise DelegateNotFound(
                f"nobody with this phone is named to collect the child on {day.isoformat()}",
                field="phone", day=day.isoformat(),
            )  # fmt: skip
        self.emit(self.PickupDelegationWithdrawn, now, phone=phone, day=day)

    def lift_block(self, phone: str, now: datetime) -> None:
        if not any(b.phone == phone for b in self.blocked):
            raise CollectorNotBlocked(
                "nobody with this phone is on the child's must-not-collect list", field="phone"
            )
        self.emit(self.CollectionBlockLifted, now, phone=phone)

    def withdraw_medication(self, authorisation_id: UUID, now: datetime) -> None:
        if authorisation_id not in self.medication:
            raise MedicationAuthorisationNotFound(
                "no medication authorisation of this child has this id",
                field="authorisation_id",
            )
        withdrawn = self.medication_withdrawn.get(authorisation_id)
        if withdrawn is not None:
            raise MedicationWithdrawn(
                f"already withdrawn at {withdrawn.isoformat()}", field="authorisation_id",
                withdrawn_at=withdrawn.isoformat(),
            )  # fmt: skip
        self.emit(self.MedicationAuthorisationWithdrawn, now, authorisation_id=authorisation_id)
