"""The live follower's step commits asynchronously and moves the checkpoints in its COMMIT's round
trip: a failed step leaves no transaction and no setting behind, and the checkpoint text takes
only plain read-model names. (Exactly once, crash, cancel and concurrent followers:
tests/projections/test_projector.py, "live".)"""

from __future__ import annotations

import pytest

from backend.eventstore.store import EventStore
from backend.follower import moves_and_commit, step_all
from backend.projector import Projector
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
