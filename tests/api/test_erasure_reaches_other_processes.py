"""A child erased through one server process leaves the memory of the others at once: a process
that served the child before holds its data key, its cached `Child` (name, birth date) and the
searches' copy of its row, and drops all three as soon as it learns of the erasure, whether its
own read-model follower applied the erasure or another process's did (ADR 0012)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from uuid import UUID

import httpx
import pytest

from backend.api.app import create_app
from backend.follower import step_all
from backend.state import Runtime
from tests.api.booking_world import found_by_search
from tests.api.days import months_before_day
from tests.api.world import World, idem

NAME = "林小雪"


@pytest.fixture
async def other_process(world: World, second_worker: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP to another server process on the same database (its own store, keys and cache)."""
    second_worker.clock = world.runtime.clock
    app = create_app(runtime=second_worker)
    app.state.runtime = second_worker  # as the client fixture does: no lifespan runs here
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://tuoyu.test") as client:
        yield client


async def _served_here(world: World) -> tuple[object, UUID]:
    """A child registered and searched for through this process: it holds the child's key,
    its cached aggregate and its row in the searches' copy."""
    parent = await world.guardian()
    body = {"name": NAME, "birth_date": months_before_day(21).isoformat(), "sex": "female",
            "consent_care_booking": True}  # fmt: skip
    registered = await world.post("/v1/children", body, parent)
    assert registered.status_code == 201, registered.text
    child = UUID(registered.json()["id"])
    await found_by_search(world, parent, child)
    here = world.runtime
    assert here.store.mapper.keys.can_seal(child)
    assert here.store.cache.peek(child).name == NAME
    assert here.children_seen.get(child, here.projector.changes("children"))[1]["name"] == NAME
    return parent, child


async def _registration_read_here(runtime: Runtime, child: UUID) -> str:
    """The name in the child's registration as this process decodes it now."""
    first = (await runtime.store.read_stream(child))[0]
    return str(runtime.store.to_domain_event(first).name)


async def _until(condition: Callable[[], bool]) -> None:
    """Its follower learns of the erasure at its next step (a query, for another's step)."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not in 5 s")


@pytest.mark.parametrize("applied_by", ["this process's follower", "the other process"])
async def test_a_process_that_did_not_erase_the_child_forgets_its_key_and_cached_child(
    world: World,
    other_process: httpx.AsyncClient,
    second_worker: Runtime,
    database_url: str,
    applied_by: str,
):
    parent, child = await _served_here(world)
    here = world.runtime
    if applied_by == "the other process":
        await here.projector.stop()  # this process's follower pauses: the other one steps
    erased = await other_process.post(
        f"/v1/children/{child}/erasure",
        headers={**world.fresh(parent.headers), **idem()},  # type: ignore[attr-defined]
    )
    assert erased.status_code == 200, erased.text
    if applied_by == "the other process":
        while await step_all(second_worker.projector):
            pass
        await here.projector.start(listen_dsn=database_url)

    await _until(lambda: not here.store.mapper.keys.can_seal(child))
    assert await _registration_read_here(here, child) == ""  # its sealed events open no more
    cached = here.store.cache.peek(child)
    assert cached is None or (cached.erased_at is not None and cached.name == "")
    assert child not in here.children_seen  # not even kept unserved
