"""City aggregate: a city with its districts (区/县) and towns/streets (乡镇街道) and resident counts,
and its own class rules where they are tighter than the national ones (RULES.md)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from domain.aggregate import TuoyuAggregate
from domain.class_types import ClassRules, ClassType, LocalClassRule, check_local_rule
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
    local_rules: dict[ClassType, LocalClassRule]  # class types the city set its own rule for

    class Registered(TuoyuAggregate.Created):
        code: str
        name: str
        timezone: str

    class DistrictAdded(TuoyuAggregate.Event):
        district: District

        def apply(self, city: City) -> None:
            city.districts[self.district.code] = self.district

    class ClassRulesSet(TuoyuAggregate.Event):
        """The city's class rules from now on: these, and the national ones for the rest."""

        rules: tuple[LocalClassRule, ...]
        by: UUID

        def apply(self, city: City) -> None:
            city.local_rules = {rule.class_type: rule for rule in self.rules}

    def __init__(self, code: str, name: str, timezone: str) -> None:
        self.code = code
        self.name = name
        self.timezone = timezone
        self.districts: dict[str, District] = {}
        self.local_rules: dict[ClassType, LocalClassRule] = {}

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

    def class_rules(self) -> ClassRules:
        return ClassRules(self.local_rules)

    def set_class_rules(self, rules: tuple[LocalClassRule, ...], by: UUID, now: datetime) -> None:
        """Replace the city's own class rules; a class type left out follows the national rule."""
        seen: set[ClassType] = set()
        for i, rule in enumerate(rules):
            if rule.class_type in seen:
                raise InvalidValue(
                    f"{rule.class_type} is named twice", field=f"rules[{i}].class_type"
                )
            seen.add(rule.class_type)
            check_local_rule(rule, f"rules[{i}]")
        self.emit(self.ClassRulesSet, now, rules=rules, by=by)

    def require_district(self, code: str, town: str | None = None) -> District:
        district = self.districts.get(code)
        if district is None:
            raise NotFound(f"unknown district {code!r} in {self.name}", field="district_code")
        if town is not None and district.towns and town not in district.towns:
            raise NotFound(f"unknown town/street {town!r} in {district.name}", field="town")
        return district
