"""The projector applies every event exactly once (each read model alone, or all together as the
live follower does), survives a crash mid-batch, and rebuilds to the same rows."""

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
from backend.follower import step_all
from backend.projector import Projector
from projections import accounts
from projections.base import Envelope
from tests.projections.helpers import StallingAccounts, processes, register_guardians, table_rows


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


# Each read model advances alone (`Projector.step`: catch-up, rebuilds) or with all the others
# in one transaction (the live follower's `step_all`): both must be exactly once.
HOW = ["per model", "live"]


async def one_step(projector: Projector, how: str) -> int:
    if how == "live":
        return await step_all(projector)
    return await projector.step(projector.projections[0])


async def until_idle(projector: Projector, how: str) -> int:
    """Step until nothing is left; the position every read model reached."""
    while await one_step(projector, how):
        pass
    return projector.lowest_position()


@pytest.mark.parametrize("how", HOW)
async def test_a_crash_mid_batch_leaves_no_rows_and_the_restart_has_no_gap_or_duplicate(
    store: EventStore, how: str
):
    await register_guardians(store, 30)
    crashing = CrashingAccounts()
    dying = Projector(store, [crashing], batch_size=10)
    await dying.ensure_schema()
    with pytest.raises(ConnectionError):
        await one_step(dying, how)
    assert crashing.crashed
    assert await table_rows(store, "rm_accounts") == []

    restarted = Projector(store, [accounts], batch_size=10)
    reached = await until_idle(restarted, how)
    rows = await table_rows(store, "rm_accounts")
    assert len(rows) == 30 and len({r[0] for r in rows}) == 30
    assert reached == await store.head_position()


@pytest.mark.parametrize("how", HOW)
async def test_a_projector_cancelled_while_applying_commits_nothing_of_that_batch(
    store: EventStore, how: str
):
    await register_guardians(store, 5)
    stalling = StallingAccounts()
    projector = Projector(store, [stalling])
    await projector.ensure_schema()
    task = asyncio.create_task(one_step(projector, how))
    await stalling.entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await table_rows(store, "rm_accounts") == []
    await until_idle(Projector(store, [accounts]), how)
    assert len(await table_rows(store, "rm_accounts")) == 5


@pytest.mark.parametrize("how", HOW)
async def test_projectors_in_three_processes_never_apply_the_same_event_twice(
    database_url: str, how: str
):
    async with processes(database_url, 3, pool_size=4) as stores:
        projectors = [Projector(s, [accounts], batch_size=7) for s in stores]
        await projectors[0].ensure_schema()
        writer = asyncio.create_task(register_guardians(stores[0], 60))
        runners = [asyncio.create_task(until_idle(p, how)) for p in projectors]
        await writer
        await asyncio.gather(*runners)
        await asyncio.gather(*(until_idle(p, how) for p in projectors))
        count = await stores[0].pool.fetchval("SELECT count(*) FROM rm_accounts")
        assert count == 60


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
