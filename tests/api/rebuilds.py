"""A read model rebuilt from the events must equal the live one: the tables of some models,
and their rebuild compared with what the live follower wrote."""

from __future__ import annotations

from typing import Any

from tests.api.world import World

Tables = dict[str, list[tuple[Any, ...]]]


async def model_tables(world: World, *models: Any) -> Tables:
    """Every row of the models' tables, in a fixed order, once the follower is at the head."""
    runtime = world.runtime
    await runtime.projector.wait_until(await runtime.store.head_position())
    return {
        table: [
            tuple(r) for r in await runtime.pool.fetch(f"SELECT * FROM {table} ORDER BY {table}")
        ]
        for model in models
        for table in model.tables
    }


async def rebuilt_equals_live(world: World, *models: Any) -> Tables:
    """Rebuild the models (in the order given) and check their tables equal the live ones;
    returns the live tables, for the test's own look."""
    live = await model_tables(world, *models)
    for model in models:
        await world.runtime.projector.rebuild(model)
    assert await model_tables(world, *models) == live
    return live
