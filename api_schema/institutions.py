"""Institutions and rooms on the wire: registration (备案), hours, rooms, staff, directory pages."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

import msgspec

from api_schema.auth import Phone

Category = Literal["center", "kindergarten_class", "community_point", "home_based", "employer"]
Ownership = Literal["public", "private"]
ClassType = Literal["infant", "toddler", "older_toddler", "mixed", "home_based"]
StaffRole = Literal["caregiver", "institution_admin"]
ClockTime = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$",
        description="local time HH:MM",
        examples=["08:00"],
    ),
]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90, examples=[31.2989])]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180, examples=[120.5853])]


class OpeningHours(msgspec.Struct, frozen=True):
    weekday: Annotated[int, msgspec.Meta(ge=1, le=7, description="ISO weekday, 1 = Monday")]
    opens: ClockTime
    closes: ClockTime


class NewStaff(msgspec.Struct, frozen=True):
    phone: Phone
    display_name: Name
    password: Annotated[str, msgspec.Meta(min_length=8, max_length=200)]
    role: StaffRole = "caregiver"


class RegisterInstitution(msgspec.Struct, frozen=True):
    name: Name
    district_code: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    town: Annotated[str, msgspec.Meta(min_length=1, max_length=40, description="乡镇街道")]
    address: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    lat: Latitude
    lng: Longitude
    category: Category
    ownership: Ownership
    puhui: bool
    filed_places: Annotated[int, msgspec.Meta(ge=1, le=5000, description="备案托位")]
    opening_hours: list[OpeningHours]
    admin: NewStaff
    timezone: Annotated[
        str, msgspec.Meta(min_length=1, max_length=64, examples=["Asia/Shanghai"])
    ] = "Asia/Shanghai"


class ChangeOpeningHours(msgspec.Struct, frozen=True):
    opening_hours: list[OpeningHours]


class RoomSpec(msgspec.Struct, frozen=True):
    name: Name
    class_type: ClassType
    capacity: Annotated[int, msgspec.Meta(ge=1, le=100)]
    children_per_carer: Annotated[int, msgspec.Meta(ge=1, le=20)] | None = None


class RoomView(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    class_type: str
    class_type_zh: str
    capacity: int
    children_per_carer: int


class InstitutionSummary(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    district_code: str
    town: str
    address: str
    lat: float
    lng: float
    category: str
    category_zh: str
    ownership: str
    puhui: bool
    filed_places: int
    room_places: int
    room_count: int
    timezone: str
    distance_km: float | None = None


class InstitutionDetail(msgspec.Struct, frozen=True):
    summary: InstitutionSummary
    opening_hours: list[OpeningHours]
    rooms: list[RoomView]


class StaffMember(msgspec.Struct, frozen=True):
    account_id: UUID
    role: str
    display_name: str | None
    phone: str | None


class InstitutionAdminView(msgspec.Struct, frozen=True):
    detail: InstitutionDetail
    staff: list[StaffMember]
    unassigned_places: int


class InstitutionPage(msgspec.Struct, frozen=True):
    items: list[InstitutionSummary]
    total: int
    limit: int
    offset: int


class District(msgspec.Struct, frozen=True):
    city_id: UUID
    city_name: str
    code: str
    name: str
    population: int
    towns: list[str]
