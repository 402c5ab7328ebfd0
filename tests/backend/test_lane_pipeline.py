"""A lane decides its next group while the group before it commits, and never answers from,
nor commits on, a group that did not commit."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from api_schema.common import CommandAccepted
from backend.commands import CommandContext, execute, load_aggregate
from backend.eventstore.snapshots import decode_snapshot
from backend.eventstore.store import EventStore
from backend.services.institutions import accepted
from domain.city.aggregate import City, District
from domain.errors import AlreadyExists
from tests.backend.test_commands import NOW, _add, _city

Decide = Callable[[Any], Awaitable[CommandAccepted]]


class HeldFirstAppend:
    """The store's first append waits at the gate until released; every append is recorded."""

    def __init__(self, store: EventStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started, self.release, self.sent = asyncio.Event(), asyncio.Event(), 0
        append = store.append

        async def held(request):
            self.sent += 1
            if self.sent == 1:
                self.started.set()
                await self.release.wait()
            return await append(request)

        monkeypatch.setattr(store, "append", held)


def _noting(decide: Decide, seen: list[frozenset[str]], decided: asyncio.Event) -> Decide:
    """`decide`, noting the districts it saw each time and that it ran."""

    async def noted(uow):
        city = await uow.get(City, _noting.city_id, "city")  # type: ignore[attr-defined]
        seen.append(frozenset(city.districts))
        try:
            return await decide(uow)
        finally:
            decided.set()

    return noted


async def _second_group_decided_while_first_commits(
    store: EventStore, city_id, first: Decide, second: Decide, gate: HeldFirstAppend
) -> tuple[asyncio.Task[Any], asyncio.Task[Any], list[frozenset[str]]]:
    """Start `first` on the city's lane; once its append is on its way (held at the gate),
    queue `second`, and wait until the lane has decided it. Returns both tasks and what
    `second` saw each time it was decided."""
    _noting.city_id = city_id  # type: ignore[attr-defined]
    entered, go_on = asyncio.Event(), asyncio.Event()

    async def first_waiting(uow):
        await uow.get(City, city_id, "city")
        entered.set()
        await go_on.wait()  # the second command queues meanwhile: it is the next group
        return await first(uow)

    seen: list[frozenset[str]] = []
    second_decided = asyncio.Event()
    ctx = CommandContext(now=NOW)
    task_a = asyncio.create_task(execute(store, ctx, first_waiting, CommandAccepted, [city_id]))
    await entered.wait()
    noted = _noting(second, seen, second_decided)
    task_b = asyncio.create_task(execute(store, ctx, noted, CommandAccepted, [city_id]))
    await asyncio.sleep(0.01)
    go_on.set()
    await asyncio.wait_for(gate.started.wait(), 5)
    await asyncio.wait_for(second_decided.wait(), 5)
    return task_a, task_b, seen


def _unless(present: str, then_add: str) -> Decide:
    """Adds district `then_add`, refused if district `present` exists."""

    async def decide(uow):
        city = await uow.get(City, _noting.city_id, "city")  # type: ignore[attr-defined]
        if present in city.districts:
            raise AlreadyExists(f"district {present} exists", field="code")
        city.add_district(District(then_add, f"区{then_add}", 1, ()), NOW)
        return accepted(city)

    return decide


async def test_the_next_group_is_decided_on_the_first_while_it_commits_and_sent_after_it(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
):
    city = await _city(store)
    gate = HeldFirstAppend(store, monkeypatch)
    task_a, task_b, seen = await _second_group_decided_while_first_commits(
        store, city.id, _add(city.id, "a"), _add(city.id, "b"), gate
    )
    assert seen == [frozenset({"a"})]  # decided on the first group's uncommitted "a"
    assert gate.sent == 1 and not task_a.done() and not task_b.done()  # its append waits
    gate.release.set()
    first, second = await asyncio.gather(task_a, task_b)
    assert gate.sent == 2 and second.position > first.position
    loaded = await load_aggregate(store, city.id)
    assert set(loaded.districts) == {"a", "b"} and loaded.version == 3


async def test_a_group_decided_on_one_that_then_conflicts_is_decided_again_on_fresh_state(
    store: EventStore, pool, monkeypatch: pytest.MonkeyPatch
):
    other = EventStore(pool)  # a second server process
    try:
        city = await _city(store)
        gate = HeldFirstAppend(store, monkeypatch)
        task_a, task_b, seen = await _second_group_decided_while_first_commits(
            store, city.id, _add(city.id, "a"), _add(city.id, "b"), gate
        )
        await execute(other, CommandContext(now=NOW), _add(city.id, "x"), CommandAccepted)
        gate.release.set()  # the first group's append now conflicts
        await asyncio.gather(task_a, task_b)
        assert seen[0] == {"a"} and seen[-1] >= {"x"} and len(seen) == 2
        loaded = await load_aggregate(store, city.id)
        assert set(loaded.districts) == {"x", "a", "b"} and loaded.version == 4
        rows = await store.pool.fetch(
            "SELECT version FROM events WHERE stream_id = $1 ORDER BY version", city.id
        )
        assert [r[0] for r in rows] == [1, 2, 3, 4]
    finally:
        await other.close()


async def test_a_refusal_decided_on_a_group_that_then_failed_is_not_the_answer(
    store: EventStore, pool, monkeypatch: pytest.MonkeyPatch
):
    """The second command is refused on the first's uncommitted "a"; the first then fails
    (another process added "x", which refuses "a"), so the second is decided again and lands."""
    other = EventStore(pool)
    try:
        city = await _city(store)
        gate = HeldFirstAppend(store, monkeypatch)
        _noting.city_id = city.id  # type: ignore[attr-defined]
        task_a, task_b, seen = await _second_group_decided_while_first_commits(
            store, city.id, _unless("x", then_add="a"), _unless("a", then_add="b"), gate
        )
        assert seen == [frozenset({"a"})] and not task_b.done()  # refused, not yet answered
        await execute(other, CommandContext(now=NOW), _add(city.id, "x"), CommandAccepted)
        gate.release.set()
        first, second = await asyncio.gather(task_a, task_b, return_exceptions=True)
        assert isinstance(first, AlreadyExists)
        assert not isinstance(second, BaseException)
        assert set((await load_aggregate(store, city.id)).districts) == {"x", "b"}
    finally:
        await other.close()


async def test_a_snapshot_taken_while_the_next_group_is_decided_holds_only_its_own_group(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
):
    city = await _city(store)

    async def many(uow):
        loaded = await uow.get(City, city.id, "city")
        for i in range(98):
            loaded.add_district(District(f"d{i}", f"区{i}", 1, ()), NOW)
        return accepted(loaded)

    await execute(store, CommandContext(now=NOW), many, CommandAccepted)  # at version 99
    gate = HeldFirstAppend(store, monkeypatch)
    task_a, task_b, _ = await _second_group_decided_while_first_commits(
        store, city.id, _add(city.id, "a"), _add(city.id, "b"), gate
    )
    gate.release.set()
    await asyncio.gather(task_a, task_b)
    for _ in range(100):  # the snapshot is written in the background
        row = await store.pool.fetchrow(
            "SELECT version, topic, state FROM snapshots WHERE stream_id = $1", city.id
        )
        if row is not None:
            break
        await asyncio.sleep(0.02)
    assert row is not None and row["version"] == 100
    snapshot = decode_snapshot(
        city.id, row["version"], row["topic"], row["state"], store.mapper.keys
    )
    assert "a" in snapshot.districts and "b" not in snapshot.districts
