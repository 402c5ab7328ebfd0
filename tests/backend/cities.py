"""A city aggregate for command tests: registered through `execute`, then given districts."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from api_schema.common import CommandAccepted
from backend.commands import CommandContext, execute
from backend.eventstore.store import EventStore
from backend.services.institutions import accepted
from backend.unit_of_work import load_aggregate
from domain.city.aggregate import City, District

NOW = datetime(2026, 9, 1, tzinfo=UTC)


async def registered_city(store: EventStore) -> City:
    city_id = uuid4()

    async def create(uow):
        city = City.register(city_id, "suzhou", "苏州", "Asia/Shanghai", NOW)
        uow.add(city)
        return accepted(city)

    await execute(store, CommandContext(now=NOW), create, CommandAccepted)
    loaded = await load_aggregate(store, city_id)
    assert isinstance(loaded, City)
    return loaded


def adding(city_id: UUID, code: str):
    """A decision adding district `code` to the city."""

    async def decide(uow):
        city = await uow.get(City, city_id, "city")
        city.add_district(District(code, f"区{code}", 1000, ("街道",)), NOW)
        return accepted(city)

    return decide
