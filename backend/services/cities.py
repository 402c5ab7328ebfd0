"""Decisions about cities, districts and regulator accounts (run from the CLI and the demo loader)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from api_schema.common import CommandAccepted
from backend.services.institutions import accepted
from backend.unit_of_work import UnitOfWork
from domain.account.aggregate import Account, Role
from domain.city.aggregate import City, District
from domain.class_types import LocalClassRule


async def register_city(
    uow: UnitOfWork,
    now: datetime,
    *,
    city_id: UUID,
    code: str,
    name: str,
    timezone: str,
    districts: list[District],
) -> CommandAccepted:
    city = City.register(city_id, code, name, timezone, now)
    for district in districts:
        city.add_district(district, now)
    uow.add(city)
    return accepted(city)


async def register_regulator(
    uow: UnitOfWork,
    now: datetime,
    *,
    phone: str,
    display_name: str,
    password_hash: str,
    city_id: UUID,
    district_code: str | None,
) -> CommandAccepted:
    """A regulator of a whole city (district_code None) or of one district of it."""
    city = await uow.get(City, city_id, "city")
    if district_code is not None:
        city.require_district(district_code)
    account = Account.register(
        phone,
        display_name,
        Role.regulator,
        now,
        password_hash=password_hash,
        city_id=city.id,
        district_code=district_code,
    )
    uow.add(account)
    return accepted(account)


async def register_guardian(
    uow: UnitOfWork, now: datetime, *, phone: str, display_name: str
) -> CommandAccepted:
    account = Account.register(phone, display_name, Role.guardian, now)
    uow.add(account)
    return accepted(account)


async def set_class_rules(
    uow: UnitOfWork, now: datetime, *, city_id: UUID, rules: tuple[LocalClassRule, ...], by: UUID
) -> CommandAccepted:
    """The city's own class rules, from now on binding every booking, check-in and room of its
    institutions (each of those decisions reads the city)."""
    city = await uow.get(City, city_id, "city")
    city.set_class_rules(rules, by, now)
    return accepted(city)
