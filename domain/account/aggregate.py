"""Account aggregate, one per phone number: its stream id is derived from the phone, so it is unique."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from uuid import UUID, uuid5

from domain.aggregate import TuoyuAggregate
from domain.errors import AlreadyExists, InvalidValue, NotFound, RuleViolated
from domain.institution.kinds import StaffRole
from domain.one_place_at_a_time import Stay, elsewhere_params, present_elsewhere, with_ended_stay

ACCOUNT_NAMESPACE = UUID("6f1c2a1e-9d0b-4c1e-8a55-2d7b1f0e7a01")
MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# A shift open longer than this is a clock-out forgotten, no longer a shift that binds.


class ClockedInElsewhere(RuleViolated):
    code = "clocked-in-elsewhere"


class Role(StrEnum):
    guardian = "guardian"
    caregiver = "caregiver"
    institution_admin = "institution_admin"
    regulator = "regulator"


def normalise_phone(phone: str) -> str:
    """Mainland mobile numbers, with or without +86; anything else is refused naming the field."""
    digits = re.sub(r"[\s-]", "", phone)
    if digits.startswith("+86"):
        digits = digits[3:]
    if not MAINLAND_MOBILE.match(digits):
        raise InvalidValue("phone must be an 11-digit mainland mobile number", field="phone")
    return digits


@lru_cache(maxsize=65_536)  # a name-based id (SHA-1) costs ~20 µs; asked several times per command
def account_id_for(phone: str) -> UUID:
    return uuid5(ACCOUNT_NAMESPACE, normalise_phone(phone))


class Account(TuoyuAggregate):
    phone: str
    display_name: str
    role: Role
    password_hash: str | None
    city_id: UUID | None
    district_code: str | None
    memberships: dict[UUID, StaffRole]
    shifts: dict[UUID, datetime]  # institution → clocked in to one of its rooms since
    # Shifts ended lately (a clock-in replayed late must not fall in one); last, as it has a
    # default: a snapshot from before they were kept has none.
    ended_shifts: tuple[Stay, ...] = ()

    class Registered(TuoyuAggregate.Created):
        phone: str
        display_name: str
        role: Role
        password_hash: str | None
        city_id: UUID | None
        district_code: str | None

    class PasswordChanged(TuoyuAggregate.Event):
        password_hash: str

        def apply(self, account: Account) -> None:
            account.password_hash = self.password_hash

    class MembershipGranted(TuoyuAggregate.Event):
        institution_id: UUID
        role: StaffRole

        def apply(self, account: Account) -> None:
            account.memberships[self.institution_id] = self.role

    class MembershipRevoked(TuoyuAggregate.Event):
        institution_id: UUID

        def apply(self, account: Account) -> None:
            account.memberships.pop(self.institution_id, None)
            account.shifts.pop(self.institution_id, None)  # off the staff: off its shifts

    class ShiftStarted(TuoyuAggregate.Event):
        """Clocked in at an institution (moves between its rooms are the attendance day's)."""

        institution_id: UUID
        at: datetime

        def apply(self, account: Account) -> None:
            account.shifts[self.institution_id] = self.at

    class ShiftEnded(TuoyuAggregate.Event):
        institution_id: UUID
        at: datetime

        def apply(self, account: Account) -> None:
            since = account.shifts.pop(self.institution_id, None)
            if since is not None:
                account.ended_shifts = with_ended_stay(
                    account.ended_shifts, self.institution_id, since, self.at
                )

    def __init__(
        self,
        phone: str,
        display_name: str,
        role: Role,
        password_hash: str | None,
        city_id: UUID | None,
        district_code: str | None,
    ) -> None:
        self.phone = phone
        self.display_name = display_name
        self.role = role
        self.password_hash = password_hash
        self.city_id = city_id
        self.district_code = district_code
        self.memberships: dict[UUID, StaffRole] = {}
        self.shifts: dict[UUID, datetime] = {}
        self.ended_shifts = ()

    @classmethod
    def register(
        cls,
        phone: str,
        display_name: str,
        role: Role,
        now: datetime,
        *,
        password_hash: str | None = None,
        city_id: UUID | None = None,
        district_code: str | None = None,
    ) -> Account:
        phone = normalise_phone(phone)
        if not display_name.strip():
            raise InvalidValue("display name must not be empty", field="display_name")
        if role is not Role.guardian and password_hash is None:
            raise InvalidValue("staff and regulators sign in with a password", field="password")
        if role is Role.regulator and city_id is None:
            raise InvalidValue("a regulator is scoped to a city or district", field="city_id")
        return cls._create(
            cls.Registered,
            id=account_id_for(phone),
            timestamp=now,
            phone=phone,
            display_name=display_name.strip(),
            role=role,
            password_hash=password_hash,
            city_id=city_id,
            district_code=district_code,
        )

    def grant_membership(self, institution_id: UUID, role: StaffRole, now: datetime) -> None:
        if self.role not in (Role.caregiver, Role.institution_admin):
            raise InvalidValue(
                f"a {self.role} account cannot join an institution's staff", field="phone"
            )
        if self.memberships.get(institution_id) == role:
            raise AlreadyExists("already on this institution's staff in that role", field="phone")
        self.emit(self.MembershipGranted, now, institution_id=institution_id, role=role)

    def revoke_membership(self, institution_id: UUID, now: datetime) -> None:
        if institution_id not in self.memberships:
            raise NotFound("not on this institution's staff", field="account_id")
        self.emit(self.MembershipRevoked, now, institution_id=institution_id)

    def start_shift(self, institution_id: UUID, at: datetime, now: datetime) -> None:
        """Clock in at an institution at `at`: not while on a shift at another one then, open
        or ended since (a carer counts toward one room's ratio at a time). A replayed clock-in
        from before that shift began is history and stands."""
        found = present_elsewhere(self.shifts, self.ended_shifts, institution_id, at)
        if found is not None:
            _, since, until = found
            detail = f"clocked in at another institution since {since.isoformat()}: clock out"
            detail += " there first"
            if until is not None:
                detail = f"on a shift at another institution from {since.isoformat()} until"
                detail += f" {until.isoformat()}: not here then"
            raise ClockedInElsewhere(detail, field="at", **elsewhere_params(found))
        self.emit(self.ShiftStarted, now, institution_id=institution_id, at=at)

    def end_shift(self, institution_id: UUID, at: datetime, now: datetime) -> None:
        if institution_id in self.shifts:
            self.emit(self.ShiftEnded, now, institution_id=institution_id, at=at)

    def change_password(self, password_hash: str, now: datetime) -> None:
        self.emit(self.PasswordChanged, now, password_hash=password_hash)
