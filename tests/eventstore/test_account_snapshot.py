"""An account from its snapshot: the same account, with the shifts it ended lately."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import msgspec
import pytest

from backend.eventstore.child_keys import ChildKeys
from backend.eventstore.snapshots import decode_snapshot, encode_snapshot
from domain.account.aggregate import Account, ClockedInElsewhere, Role

NINE = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
HERE, THERE = uuid4(), uuid4()


def _carer_who_worked_here_nine_to_five() -> Account:
    carer = Account.register("13600000007", "张老师", Role.caregiver, NINE, password_hash="h")
    carer.start_shift(HERE, NINE, NINE)
    carer.end_shift(HERE, NINE + timedelta(hours=8), NINE + timedelta(hours=8))
    carer.collect_events()
    return carer


def test_an_accounts_ended_shifts_survive_its_snapshot_and_still_refuse_a_late_clock_in():
    carer = _carer_who_worked_here_nine_to_five()
    topic, state = encode_snapshot(carer, ChildKeys())
    restored = decode_snapshot(carer.id, carer.version, topic, state, ChildKeys())
    assert vars(restored) == {**vars(carer), "_pending_events": []}
    with pytest.raises(ClockedInElsewhere):
        restored.start_shift(THERE, NINE + timedelta(hours=1), NINE + timedelta(hours=9))


def test_an_accounts_snapshot_from_before_ended_shifts_were_kept_loads_with_none():
    carer = _carer_who_worked_here_nine_to_five()
    topic, state = encode_snapshot(carer, ChildKeys())
    raw = msgspec.json.decode(state)
    del raw["ended_shifts"]
    restored = decode_snapshot(
        carer.id, carer.version, topic, msgspec.json.encode(raw), ChildKeys()
    )
    assert restored.ended_shifts == () and restored.shifts == {}
    restored.start_shift(THERE, NINE + timedelta(hours=1), NINE + timedelta(hours=9))
