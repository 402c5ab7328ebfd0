"""The shapes of a generated demo city: plain frozen values the loader turns into commands."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec

from domain.city.aggregate import District
from domain.institution.kinds import Category, Ownership, StaffRole
from domain.institution.values import Location, OpeningInterval, Room

DEMO_PASSWORD = "tuoyu-demo-2026"  # noqa: S105 — every staff and regulator account (documented in the README)
DEMO_OTP = "246810"  # guardians sign in with this SMS code when TUOYU_DEMO_OTP is set
# The default day children are born 0–36 months before; loaders pass the day they load.
REFERENCE_DATE = date(2026, 9, 1)


class DemoStaff(msgspec.Struct, frozen=True):
    phone: str
    display_name: str
    role: StaffRole


class DemoInstitution(msgspec.Struct, frozen=True):
    """One filed institution; `staff[0]` is its institution_admin, the rest are caregivers."""

    institution_id: UUID
    name: str
    district_code: str
    town: str
    location: Location
    category: Category
    ownership: Ownership
    puhui: bool
    filed_places: int
    opening_hours: tuple[OpeningInterval, ...]
    rooms: tuple[Room, ...]
    staff: tuple[DemoStaff, ...]

    @property
    def admin(self) -> DemoStaff:
        return self.staff[0]

    @property
    def caregivers(self) -> tuple[DemoStaff, ...]:
        return self.staff[1:]


class DemoRegulator(msgspec.Struct, frozen=True):
    """A regulator (卫健委) of the whole city when `district_code` is None, else of one district."""

    phone: str
    display_name: str
    district_code: str | None


class DemoChild(msgspec.Struct, frozen=True):
    """A child of a demo family: generated now so it stays stable, loaded by a later issue."""

    name: str
    birth_date: date
    sex: str  # "female" or "male"


class DemoFamily(msgspec.Struct, frozen=True):
    guardian_phone: str
    guardian_name: str
    district_code: str
    town: str
    home: Location
    children: tuple[DemoChild, ...]


class DemoCity(msgspec.Struct, frozen=True):
    size: str
    seed: int
    city_id: UUID
    code: str
    name: str
    timezone: str
    districts: tuple[District, ...]
    institutions: tuple[DemoInstitution, ...]
    regulators: tuple[DemoRegulator, ...]
    families: tuple[DemoFamily, ...]
    password: str = DEMO_PASSWORD
    reference_date: date = REFERENCE_DATE

    @property
    def filed_places(self) -> int:
        return sum(i.filed_places for i in self.institutions)

    @property
    def rooms(self) -> int:
        return sum(len(i.rooms) for i in self.institutions)

    @property
    def staff(self) -> int:
        return sum(len(i.staff) for i in self.institutions)
