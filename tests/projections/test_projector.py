"""The projector applies every event exactly once, survives a crash mid-batch, and rebuilds to the same rows."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from backend.eventstore.records import AppendRequest, NewEvent
from backend.eventstore.store import EventStore
from backend.projector import Projector
from projections import accounts
from projections.base import Envelope
from tests.projections.helpers import register_guardians, table_rows


class CrashingAccounts:
    """The accounts read model, but the process dies after writing part of a batch."""

    name = accounts.name
    handles = accounts.handles
    tables = accounts.tables
    schema = accounts.schema

    def __init__(self) -> None:
        self.crashed = False

    async def apply(self, conn: asyncpg.Connection, batch: Sequence[Envelope]) -> None:
        await accounts.apply(conn, batch[: len(batch) // 2])
        self.crashed = True
        raise ConnectionError("power cut mid-batch")


async def test_a_crash_mid_batch_leaves_no_rows_and_the_restart_has_no_gap_or_duplicate(
    store: EventStore,
):
    await register_guardians(store, 30)
    crashing = CrashingAccounts()
    dying = Projector(store, [crashing], batch_size=10)
    await dying.ensure_schema()
    with pytest.raises(ConnectionError):
        await dying.step(crashing)
    assert crashing.crashed
    assert await table_rows(store, "rm_accounts") == []

    restarted = Projector(store, [accounts], batch_size=10)
    await restarted.catch_up()
    rows = await table_rows(store, "rm_accounts")
    assert len(rows) == 30 and len({r[0] for r in rows}) == 30


async def test_a_projector_cancelled_while_applying_commits_nothing_of_that_batch(
    store: EventStore,
):
    await register_guardians(store, 5)
    entered = asyncio.Event()

    class Stalling:
        name, handles, tables, schema = (
            accounts.name, accounts.handles, accounts.tables, accounts.schema,
        )  # fmt: skip

        async def apply(self, conn: asyncpg.Connection, batch: Sequence[Envelope]) -> None:
            await accounts.apply(conn, batch)
            entered.set()
            await asyncio.sleep(3600)

    stalling = Stalling()
    projector = Projector(store, [stalling])
    await projector.ensure_schema()
    task = asyncio.create_task(projector.step(stalling))
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await table_rows(store, "rm_accounts") == []
    await Projector(store, [accounts]).catch_up()
    assert len(await table_rows(store, "rm_accounts")) == 5


async def test_two_projector_processes_never_apply_the_same_event_twice(database_url: str):
    pools = [await asyncpg.create_pool(database_url, min_size=1, max_size=4) for _ in range(3)]
    stores = [EventStore(p) for p in pools]
    try:
        projectors = [Projector(s, [accounts], batch_size=7) for s in stores]
        await projectors[0].ensure_schema()
        writer = asyncio.create_task(register_guardians(stores[0], 60))
        runners = [asyncio.create_task(p.catch_up()) for p in projectors]
        await writer
        await asyncio.gather(*runners)
        await asyncio.gather(*(p.catch_up() for p in projectors))
        count = await pools[0].fetchval("SELECT count(*) FROM rm_accounts")
        assert count == 60
    finally:
        for s in stores:
            await s.close()
        for p in pools:
            await p.close()


async def test_events_no_read_model_handles_still_move_the_checkpoint(store: EventStore):
    await register_guardians(store, 3)
    foreign = [NewEvent(uuid4(), 1, "elsewhere:Unrelated", b"{}")]
    await store.append(AppendRequest(foreign, {foreign[0].stream_id: 0}))
    projector = Projector(store, [accounts])
    await projector.ensure_schema()
    await projector.catch_up()
    [status] = await projector.status()
    assert status.checkpoint == status.head == await store.head_position()
    assert status.events_behind == 0


async def test_status_reports_events_and_seconds_behind(store: EventStore):
    projector = Projector(store, [accounts])
    await projector.ensure_schema()
    await register_guardians(store, 4)
    [status] = await projector.status()
    assert status.events_behind == 4 and status.checkpoint == 0
    assert status.seconds_behind >= 0.0


async def test_a_rebuilt_read_model_equals_the_live_one(store: EventStore):
    projector = Projector(store, [accounts], batch_size=16)
    await projector.start()
    try:
        await register_guardians(store, 50)
        assert await projector.wait_until(await store.head_position())
        live = await table_rows(store, "rm_accounts")
        progress: list[Any] = []
        await projector.rebuild(accounts, lambda done, head: progress.append((done, head)))
        rebuilt = await table_rows(store, "rm_accounts")
    finally:
        await projector.stop()
    assert len(live) == 50
    assert rebuilt == live
    assert progress and progress[-1][0] == progress[-1][1]


async def test_a_read_model_whose_tables_changed_shape_is_rebuilt_from_zero(store: EventStore):
    await register_guardians(store, 5)
    projector = Projector(store, [accounts])
    await projector.ensure_schema()
    await projector.catch_up()

    reshaped_model = SimpleNamespace(  # the same read model after a change to its DDL
        name=accounts.name,
        handles=accounts.handles,
        tables=accounts.tables,
        apply=accounts.apply,
        indexes=getattr(accounts, "indexes", ""),
        schema=accounts.schema
        + "\nCREATE INDEX IF NOT EXISTS rm_accounts_name ON rm_accounts (display_name);",
    )
    reshaped = Projector(store, [reshaped_model])
    await reshaped.ensure_schema()
    [status] = await reshaped.status()
    assert status.checkpoint == 0 and await table_rows(store, "rm_accounts") == []
    await reshaped.catch_up()
    assert len(await table_rows(store, "rm_accounts")) == 5
    again = Projector(store, [reshaped_model])
    await again.ensure_schema()  # unchanged now: nothing dropped
    assert len(await table_rows(store, "rm_accounts")) == 5
