"""The live follower's step commits asynchronously and moves the checkpoints in its COMMIT's round
trip: a failed step leaves no transaction and no setting behind, and the checkpoint text takes
only plain read-model names. (Exactly once, crash, cancel and concurrent followers:
tests/projections/test_projector.py, "live".)"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence
from uuid import UUID

import pytest

from backend import follower
from backend.eventstore.store import EventStore
from backend.follower import BEGIN_STEP, moves_and_commit, step_all
from backend.projector import Projector
from projections import accounts, notifications
from projections.registry import ALL
from tests.plans import explained
from tests.projections.helpers import register_guardians
from tests.projections.test_projector import CrashingAccounts


async def test_a_failed_step_leaves_its_connection_out_of_any_transaction_and_setting(
    store: EventStore,
):
    await register_guardians(store, 10)
    crashing = CrashingAccounts()
    dying = Projector(store, [crashing], batch_size=10)
    await dying.ensure_schema()
    with pytest.raises(ConnectionError):
        await step_all(dying)
    assert await store.pool.fetchval(
        "SELECT position FROM projection_checkpoints WHERE name = $1", crashing.name
    ) in (None, 0)
    async with store.pool.acquire() as conn:
        assert not conn.is_in_transaction()
        assert await conn.fetchval(  # its asynchronous commit ended with it
            "SELECT setting = reset_val FROM pg_settings WHERE name = 'synchronous_commit'"
        )


def test_checkpoint_moves_are_written_only_for_plain_read_model_names():
    sql = moves_and_commit([("attendance", 42), ("notifications", 42)])
    assert "('attendance', 42, now()), ('notifications', 42, now())" in sql
    assert sql.endswith("; COMMIT")
    assert moves_and_commit([]) == "COMMIT"
    for name in ("x'); DROP TABLE events; --", "Attendance", "", "a b"):
        with pytest.raises(ValueError, match="lowercase letters"):
            moves_and_commit([(name, 1)])


async def test_watchers_hear_each_changed_model_with_the_streams_it_applied_or_none_if_unknown(
    store: EventStore,
):
    await register_guardians(store, 3)
    streams = {r[0] for r in await store.pool.fetch("SELECT DISTINCT stream_id FROM events")}
    here, elsewhere = (Projector(store, [accounts, notifications]) for _ in range(2))
    await here.ensure_schema()
    heard: list[tuple[list[str], dict[str, set[UUID]]]] = []

    def watcher(names: Sequence[str], changed: Mapping[str, Collection[UUID]]) -> None:
        heard.append((list(names), {k: set(v) for k, v in changed.items()}))

    here.watch(watcher)
    await step_all(here)
    assert heard == [([accounts.name], {accounts.name: streams})]

    await register_guardians(store, 1, start=3)
    await step_all(elsewhere)  # another process applies them: which rows is not known here
    await step_all(here)
    assert heard[1] == ([accounts.name, notifications.name], {})


def counting_steps(monkeypatch: pytest.MonkeyPatch) -> tuple[list[int], asyncio.Event]:
    """The live follower's steps from here on, each as the position it moved to (0: none),
    and an event set once the first has run."""
    steps: list[int] = []
    stepped = asyncio.Event()
    real = follower.step_all

    async def counted(projector: Projector) -> int:
        moved = await real(projector)
        steps.append(moved)
        stepped.set()
        return moved

    monkeypatch.setattr(follower, "step_all", counted)
    return steps, stepped


async def test_a_follower_that_reached_the_head_steps_again_only_for_the_next_commit(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
):
    steps, stepped = counting_steps(monkeypatch)
    projector = Projector(store, [accounts, notifications])
    await projector.start()
    try:
        await asyncio.wait_for(stepped.wait(), 2.0)  # the first look, at start
        for i in range(3):
            await register_guardians(store, 1, start=i)
            assert await projector.wait_until(await store.head_position())
            await asyncio.sleep(0.1)  # a step at once after it would come now
        assert len(steps) == 4 and all(steps[1:])  # one per commit: none found nothing
    finally:
        await projector.stop()


async def test_a_step_cut_short_by_the_batch_size_is_followed_at_once_even_unnotified(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
):
    elsewhere = EventStore(store.pool)  # another process's commits, never heard of here
    try:
        await register_guardians(elsewhere, 12)
    finally:
        await elsewhere.close()
    steps, _ = counting_steps(monkeypatch)
    projector = Projector(store, [accounts], batch_size=5)
    await projector.start()
    try:  # well within the 1 s a follower waits unwoken
        assert await projector.wait_until(await store.head_position(), timeout=0.5)
        assert len([moved for moved in steps if moved]) == 3  # 5 + 5 + 2 events
    finally:
        await projector.stop()


async def test_a_steps_read_planned_on_a_young_store_still_reads_events_by_index_once_it_grew(
    store: EventStore, database_url: str
):
    """A connection keeps the plans of the step's read (read_models_begin_step). Made while
    the store held a few events (and its statistics said so), they must not scan `events`
    once it holds many more (migration 0014)."""
    keys, names, topics = Projector(store, ALL).step_arguments
    add = (
        "INSERT INTO events (position, stream_id, version, topic, state, recorded_at)"
        " SELECT nextval('event_position'), gen_random_uuid(), 1, $2, '\\x00', now()"
        " FROM generate_series(1, $1)"
    )
    behind_the_last_three = (
        "INSERT INTO projection_checkpoints SELECT n, (SELECT max(position) - 3 FROM events),"
        " now() FROM unnest($1::text[]) AS n"
        " ON CONFLICT (name) DO UPDATE SET position = excluded.position"
    )
    async with explained(database_url) as (conn, plans):
        for grown in (False,) * 8 + (True,):  # a connection's plans are kept after five calls
            if grown:
                await conn.execute(add, 20_000, "tests:NotFollowed")
            await conn.execute(add, 3, topics[0])
            await conn.execute(behind_the_last_three, names)
            if not grown:
                await conn.execute("ANALYZE events, projection_checkpoints")
            plans.clear()
            async with conn.transaction():
                rows = await conn.fetch(BEGIN_STEP, keys, names, topics, 500)
            assert [r[0] for r in rows].count(2) == 3
        read = [p for p in plans if "FROM events e" in p]
        assert len(read) == 2, plans  # the head, and the events past the checkpoints
        assert not [p for p in read if "Seq Scan on events" in p], read
