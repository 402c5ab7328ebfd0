"""Child aggregate: name, birth date, sex, guardians, pick-up adults; its bookings never overlap."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import msgspec

from domain.aggregate import TuoyuAggregate
from domain.child.care import ERASED_DAY, NOBODY, ChildCareMixin
from domain.child.consent import CARE_BOOKING, retention_cutoff
from domain.child.family_changes import FamilyChangesMixin
from domain.child.holds import Hold, RegularHold, ReleasedHold, keep_releases
from domain.child.pickup_rights import CollectorBlocked, PickupRightsMixin
from domain.child.presence import ChildPresenceMixin
from domain.child.profile import Sex as Sex
from domain.child.profile import age_in_months as age_in_months
from domain.child.profile import check_profile
from domain.child.time_held import ChildAlreadyBooked as ChildAlreadyBooked
from domain.child.time_held import ChildTimeMixin
from domain.errors import AlreadyExists, Gone, InvalidValue, RuleViolated, require_text


class PickupAdult(msgspec.Struct, frozen=True):
    name: str
    phone: str
    relation: str


class ChildStillInCare(RuleViolated):
    code = "child-still-in-care"


class ChildErased(Gone):
    code = "child-erased"


class StillWithinRetention(RuleViolated):
    code = "still-within-retention"


class Child(
    FamilyChangesMixin,
    ChildCareMixin,
    PickupRightsMixin,
    ChildPresenceMixin,
    ChildTimeMixin,
    TuoyuAggregate,
):
    name: str
    birth_date: date
    sex: Sex
    guardians: tuple[UUID, ...]
    consent_purposes: tuple[str, ...]
    consent_notice: str
    pickup_adults: tuple[PickupAdult, ...]
    holds: dict[UUID, Hold]
    released: dict[UUID, ReleasedHold]  # bookings released lately (domain/child/holds.py)
    regular: dict[UUID, RegularHold]
    erased_at: datetime | None
    personal_state = (
        "name", "birth_date", "pickup_adults", "health_records", "delegates", "blocked",
        "medication", "medication_withdrawn", "doses_given", "pickup_rights_ended",
        "blocks_lately",
    )  # fmt: skip

    class Registered(TuoyuAggregate.Created):
        name: str
        birth_date: date
        sex: Sex
        guardians: tuple[UUID, ...]
        consent_purposes: tuple[str, ...]
        consent_notice: str = ""  # the version of the notice the guardian agreed to
        personal = ("name", "birth_date")
        erased = {"name": "", "birth_date": ERASED_DAY}

    class GuardianAdded(TuoyuAggregate.Event):
        account_id: UUID

        def apply(self, child: Child) -> None:
            child.guardians = (*child.guardians, self.account_id)

    class PickupAdultAuthorised(TuoyuAggregate.Event):
        adult: PickupAdult
        personal = ("adult",)
        erased = {"adult": PickupAdult("", "", "")}

        def apply(self, child: Child) -> None:
            child.pickup_adults = (*child.pickup_adults, self.adult)

    class BookingHeld(TuoyuAggregate.Event):
        hold: Hold

        def apply(self, child: Child) -> None:
            child.holds[self.hold.booking_id] = self.hold

    class EnrolmentHeld(TuoyuAggregate.Event):
        regular: RegularHold

        def apply(self, child: Child) -> None:
            child.regular[self.regular.enrolment_id] = self.regular

    class RegularDayFreed(TuoyuAggregate.Event):
        """The institution closed the room on `day` (and paid it back): the child is free
        to be booked elsewhere at those hours."""

        enrolment_id: UUID
        day: date

        def apply(self, child: Child) -> None:
            held = child.regular[self.enrolment_id]
            child.regular[self.enrolment_id] = msgspec.structs.replace(
                held, freed=(*held.freed, self.day)
            )

    class EnrolmentShortened(TuoyuAggregate.Event):
        enrolment_id: UUID
        last_day: date

        def apply(self, child: Child) -> None:
            held = child.regular[self.enrolment_id]
            child.regular[self.enrolment_id] = msgspec.structs.replace(held, last_day=self.last_day)

    class BookingReleased(TuoyuAggregate.Event):
        booking_id: UUID

        def apply(self, child: Child) -> None:
            hold = child.holds.pop(self.booking_id, None)
            if hold is not None:
                child.released = keep_releases(child.released, hold, self.timestamp)

    class ReleasedBookingAttended(TuoyuAggregate.Event):
        """The child arrived under a booking freed since (a replayed drop-off): the booking
        holds the child's time again."""

        booking_id: UUID

        def apply(self, child: Child) -> None:
            gone = child.released.pop(self.booking_id, None)
            if gone is not None:
                child.holds[self.booking_id] = gone.hold

    class DataErased(TuoyuAggregate.Event):
        """A guardian withdrew consent and had the child's personal data erased; the key
        that sealed it is destroyed once this is recorded."""

        by: UUID

        def apply(self, child: Child) -> None:
            child.erased_at = self.timestamp
            child.name, child.birth_date = "", ERASED_DAY
            child.consent_purposes = ()
            child.pickup_adults = ()
            child.init_care()
            child.init_pickup_rights()

    def __init__(
        self,
        name: str,
        birth_date: date,
        sex: Sex,
        guardians: tuple[UUID, ...],
        consent_purposes: tuple[str, ...],
        consent_notice: str = "",
    ) -> None:
        self.name = name
        self.birth_date = birth_date
        self.sex = sex
        self.guardians = guardians
        self.consent_purposes = consent_purposes
        self.consent_notice = consent_notice
        self.pickup_adults = ()
        self.holds = {}
        self.released = {}
        self.regular = {}
        self.erased_at = None
        self.init_care()
        self.init_pickup_rights()
        self.init_presence()

    @classmethod
    def register(
        cls,
        child_id: UUID,
        guardian: UUID,
        *,
        name: str,
        birth_date: date,
        sex: Sex,
        consent_purposes: tuple[str, ...],
        today: date,
        now: datetime,
    ) -> Child:
        check_profile(name, birth_date, today)
        if "care_booking" not in consent_purposes:
            raise InvalidValue(
                "the guardian's separate consent to process the child's data for booking care"
                " (PIPL art. 31) is required",
                field="consent",
            )
        return cls._create(
            cls.Registered, id=child_id, timestamp=now, name=name.strip(), birth_date=birth_date,
            sex=sex, guardians=(guardian,), consent_purposes=consent_purposes,
            consent_notice=CARE_BOOKING.version,
        )  # fmt: skip

    def check_usable(self) -> None:
        if self.erased_at is not None:
            raise ChildErased(
                "this child's personal data was erased at its guardian's request",
                field="child_id",
            )

    def erase(
        self, by: UUID, today: date, now: datetime, *, present: bool = False,
        waiting: UUID | None = None,
    ) -> None:  # fmt: skip
        """Withdraw consent and erase: only with no booking or regular place still ahead
        (those are cancelled or ended first, so their refunds and notices happen as usual),
        not while the child is in a room (it is collected first) nor `waiting` on a waitlist
        entry (it leaves first, so the place goes to the next family). Whether it is in a
        room is the child's own stream's word (`in_a_room`, read at a version, so a check-in
        racing the erasure makes one of them conflict), or the read model's (`present`): the
        read model may not have applied a drop-off a tablet just replayed."""
        self.check_usable()
        if present or self.in_a_room(now):
            raise ChildStillInCare("the child is checked in: collect the child first",
                                   field="child_id")  # fmt: skip
        if waiting is not None:
            raise ChildStillInCare("leave the waitlist first", field="child_id",
                                   entry_id=str(waiting))  # fmt: skip
        for hold in self.holds.values():
            if hold.ends_at > now:
                raise ChildStillInCare(
                    "cancel the child's bookings first", field="child_id",
                    booking_id=str(hold.booking_id),
                )  # fmt: skip
        for regular in self.regular.values():
            if regular.last_day >= today:
                raise ChildStillInCare(
                    "end the child's regular place first", field="child_id",
                    enrolment_id=str(regular.enrolment_id),
                )  # fmt: skip
        self.emit(self.DataErased, now, by=by)

    def last_care(self) -> date:
        """The last day the child was in care or booked for (its registration day if never)."""
        days = [self.created_on.date(), *(h.ends_at.date() for h in self.holds.values())]
        days += [r.last_day for r in self.regular.values()]
        return max([*days, self.last_attended] if self.last_attended else days)

    def erase_after_retention(self, today: date, now: datetime) -> None:
        """The consent notice's promise: erased once its last care is past retention."""
        self.check_usable()
        cutoff = retention_cutoff(today)
        if self.last_care() >= cutoff:
            raise StillWithinRetention(
                f"in care on {self.last_care().isoformat()}: kept until that is before"
                f" {cutoff.isoformat()}", field="child_id",
            )  # fmt: skip
        self.emit(self.DataErased, now, by=NOBODY)

    def is_guardian(self, account_id: UUID) -> bool:
        return account_id in self.guardians

    def add_guardian(self, account_id: UUID, now: datetime) -> None:
        if account_id in self.guardians:
            raise AlreadyExists("already a guardian of this child", field="phone")
        self.emit(self.GuardianAdded, now, account_id=account_id)

    def authorise_pickup(self, adult: PickupAdult, now: datetime) -> None:
        require_text(name=adult.name, relation=adult.relation)
        if any(b.phone == adult.phone for b in self.blocked):
            raise CollectorBlocked("this person must not collect the child", field="phone")
        if any(a.phone == adult.phone for a in self.pickup_adults):
            raise AlreadyExists("this adult may already collect the child", field="phone")
        self.emit(self.PickupAdultAuthorised, now, adult=adult)
