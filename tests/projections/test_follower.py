"""The live follower's step (every read model in one transaction, committed asynchronously) is
exactly once too: a crash or a cancel mid-step leaves nothing, and concurrent followers never
apply an event twice."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import asyncpg
import pytest

from backend.eventstore.store import EventStore
from backend.follower import moves_and_commit, step_all
from backend.projector import Projector
from projections import accounts
from projections.base import Envelope
from tests.projections.helpers import register_guardians, table_rows
from tests.projections.test_projector import CrashingAccounts


async def _checkpoint(store: EventStore) -> int | None:
    value = await store.pool.fetchval(
        "SELECT position FROM projection_checkpoints WHERE name = $1", accounts.name
    )
    return None if value is None else int(value)


async def _follow_until_idle(projector: Projector) -> int:
    """Step until nothing is left; the position every read model reached."""
    while await step_all(projector):
        pass
    return projector.lowest_position()


async def test_a_crash_mid_step_leaves_no_rows_and_a_clean_connection_and_the_next_step_has_all(
    store: EventStore,
):
    await register_guardians(store, 30)
    crashing = CrashingAccounts()
    dying = Projector(store, [crashing], batch_size=10)
    await dying.ensure_schema()
    with pytest.raises(ConnectionError):
        await step_all(dying)
    assert crashing.crashed
    assert await table_rows(store, "rm_accounts") == []
    assert await _checkpoint(store) in (None, 0)
    async with store.pool.acquire() as conn:  # the step's transaction did not outlive it
        assert not conn.is_in_transaction()
        assert await conn.fetchval(  # its asynchronous commit neither
            "SELECT setting = reset_val FROM pg_settings WHERE name = 'synchronous_commit'"
        )

    restarted = Projector(store, [accounts], batch_size=10)
    reached = await _follow_until_idle(restarted)
    rows = await table_rows(store, "rm_accounts")
    assert len(rows) == 30 and len({r[0] for r in rows}) == 30
    assert reached == await _checkpoint(store) == await store.head_position()


async def test_a_step_cancelled_while_applying_commits_nothing(store: EventStore):
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

    stalling = Projector(store, [Stalling()])
    await stalling.ensure_schema()
    task = asyncio.create_task(step_all(stalling))
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await table_rows(store, "rm_accounts") == []
    await _follow_until_idle(Projector(store, [accounts]))
    assert len(await table_rows(store, "rm_accounts")) == 5


async def test_followers_in_three_processes_never_apply_the_same_event_twice(database_url: str):
    pools = [await asyncpg.create_pool(database_url, min_size=1, max_size=3) for _ in range(3)]
    stores = [EventStore(p) for p in pools]
    try:
        projectors = [Projector(s, [accounts], batch_size=7) for s in stores]
        await projectors[0].ensure_schema()
        writer = asyncio.create_task(register_guardians(stores[0], 60))
        followers = [asyncio.create_task(_follow_until_idle(p)) for p in projectors]
        await writer
        await asyncio.gather(*followers)
        await asyncio.gather(*(_follow_until_idle(p) for p in projectors))
        assert await pools[0].fetchval("SELECT count(*) FROM rm_accounts") == 60
    finally:
        for s in stores:
            await s.close()
        for p in pools:
            await p.close()


def test_checkpoint_moves_are_written_only_for_plain_read_model_names():
    sql = moves_and_commit([("attendance", 42), ("notifications", 42)])
    assert "('attendance', 42, now()), ('notifications', 42, now())" in sql
    assert sql.endswith("; COMMIT")
    assert moves_and_commit([]) == "COMMIT"
    for name in ("x'); DROP TABLE events; --", "Attendance", "", "a b"):
        with pytest.raises(ValueError, match="lowercase letters"):
            moves_and_commit([(name, 1)])
