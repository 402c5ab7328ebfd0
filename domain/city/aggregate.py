"""City aggregate: a city with its districts (区/县) and towns/streets (乡镇街道) and resident counts."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from domain.aggregate import TuoyuAggregate
from domain.errors import AlreadyExists, InvalidValue, NotFound


class District(msgspec.Struct, frozen=True):
    code: str
    name: str
    population: int
    towns: tuple[str, ...] = ()


class City(TuoyuAggregate):
    """Districts are keyed by their code; an institution must name a known district and town."""

    code: str
    name: str
    timezone: str
    districts: dict[str, District]

    class Registered(TuoyuAggregate.Created):
        code: str
        name: str
        timezone: str

    class DistrictAdded(TuoyuAggregate.Event):
        district: District

        def apply(self, city: City) -> None:
            city.districts[self.district.code] = self.district

    def __init__(self, code: str, name: str, timezone: str) -> None:
        self.code = code
        self.name = name
        self.timezone = timezone
        self.districts: dict[str, District] = {}

    @classmethod
    def register(cls, city_id: UUID, code: str, name: str, timezone: str, now: datetime) -> City:
        if not code.strip() or not name.strip():
            raise InvalidValue("city code and name must not be empty", field="code")
        return cls._create(
            cls.Registered, id=city_id, timestamp=now, code=code, name=name, timezone=timezone
        )

    def add_district(self, district: District, now: datetime) -> None:
        if district.code in self.districts:
            raise AlreadyExists(f"district {district.code} exists already", field="code")
        if district.population < 0:
            raise InvalidValue("population must not be negative", field="population")
        self.emit(self.DistrictAdded, now, district=district)

    def require_district(self, code: str, town: str | None = None) -> District:
        district = self.districts.get(code)
        if district is None:
            raise NotFound(f"unknown district {code!r} in {self.name}", field="district_code")
        if town is not None and district.towns and town not in district.towns:
            raise NotFound(f"unknown town/street {town!r} in {district.name}", field="town")
        return district
