"""A child from its snapshot: the same child, its personal data sealed with its own key."""

from __future__ import annotations

import os
from datetime import timedelta
from uuid import uuid4

import msgspec
import pytest

from backend.eventstore.child_keys import ChildKeys
from backend.eventstore.snapshots import SnapshotUnreadable, decode_snapshot, encode_snapshot
from domain.child.aggregate import Child, PickupAdult
from domain.child.care import BlockedCollector
from domain.child.presence import PresentElsewhere
from tests.domain.test_child_data_rules import NOW, TODAY, child


def _state(aggregate: object) -> dict[str, object]:
    return {k: v for k, v in vars(aggregate).items() if not k.startswith("_")}


def _snapshot() -> tuple[Child, ChildKeys, str, bytes]:
    """A registered child, a key for it, and its snapshot."""
    c = child()
    c.collect_events()
    keys = ChildKeys()
    keys.learn(c.id, os.urandom(32))
    return c, keys, *encode_snapshot(c, keys)


def test_a_child_restored_from_its_snapshot_equals_the_child_it_was_taken_of():
    c, keys, topic, state = _snapshot()
    assert "小满".encode() not in state  # the name travels sealed
    restored = decode_snapshot(c.id, c.version, topic, state, keys)
    assert _state(restored) == _state(c)


def test_a_childs_snapshot_cannot_be_read_once_its_key_is_forgotten():
    c, keys, topic, state = _snapshot()
    keys.forget(c.id)
    with pytest.raises(SnapshotUnreadable):
        decode_snapshot(c.id, c.version, topic, state, keys)


def _without(state: bytes, field: str) -> bytes:
    """A snapshot's state as written before the aggregate kept `field`."""
    raw = msgspec.json.decode(state)
    del raw[field]
    return msgspec.json.encode(raw)


def test_a_childs_ended_stays_survive_its_snapshot_and_still_refuse_a_late_arrival():
    c, keys, *_ = _snapshot()
    here, there = uuid4(), uuid4()
    c.arrive(here, TODAY, NOW, None, NOW)
    c.leave(here, NOW + timedelta(hours=8), None, NOW + timedelta(hours=8))
    c.collect_events()
    topic, state = encode_snapshot(c, keys)
    restored = decode_snapshot(c.id, c.version, topic, state, keys)
    assert _state(restored) == _state(c) and len(restored.ended_stays) == 1
    with pytest.raises(PresentElsewhere):
        restored.check_not_present_elsewhere(there, NOW + timedelta(hours=1))


def test_a_childs_snapshot_from_before_ended_stays_were_kept_loads_with_none():
    c, keys, topic, state = _snapshot()
    restored = decode_snapshot(c.id, c.version, topic, _without(state, "ended_stays"), keys)
    assert restored.ended_stays == ()
    assert _state(restored) == _state(c)


def _without_sealed(state: bytes, keys: ChildKeys, c: Child, topic: str, field: str) -> bytes:
    """A snapshot's state as written before the aggregate kept the personal `field`."""
    raw = msgspec.json.decode(state)
    opened = msgspec.json.decode(keys.open(c.id, topic, raw["sealed"]) or b"{}")
    del opened[field]
    raw["sealed"] = keys.seal(c.id, topic, msgspec.json.encode(opened))
    return msgspec.json.encode(raw)


def test_a_childs_ended_pick_up_rights_survive_its_snapshot_sealed_and_still_cover_a_pick_up():
    c, keys, *_ = _snapshot()
    c.authorise_pickup(PickupAdult("王外婆", "13955550001", "外婆"), NOW)
    c.withdraw_pickup_adult("13955550001", NOW + timedelta(hours=8))
    c.block_collector(BlockedCollector("赵某", "13900001111", "法院禁令"), NOW + timedelta(hours=8))
    c.collect_events()
    topic, state = encode_snapshot(c, keys)
    assert b"13955550001" not in state and b"13900001111" not in state  # phones travel sealed
    restored = decode_snapshot(c.id, c.version, topic, state, keys)
    assert _state(restored) == _state(c) and len(restored.pickup_rights_ended) == 1
    standing = restored.collector_relation("13955550001", set(), TODAY, NOW + timedelta(hours=7))
    assert standing.relation == "authorised_adult"


def test_a_childs_snapshot_from_before_pick_up_rights_were_kept_loads_with_none():
    c, keys, topic, state = _snapshot()
    for field in ("pickup_rights_ended", "blocks_lately"):
        state = _without_sealed(state, keys, c, topic, field)
    restored = decode_snapshot(c.id, c.version, topic, state, keys)
    assert (restored.pickup_rights_ended, restored.blocks_lately) == ((), ())
    assert _state(restored) == _state(c)


def test_a_childs_snapshot_from_before_withdrawals_and_doses_were_kept_loads_with_none():
    """Written before a child kept its withdrawn medication and its doses given: it loads
    (else the child is replayed from its first event until a new snapshot is written)."""
    c, keys, topic, state = _snapshot()
    for field in ("medication_withdrawn", "doses_given"):
        state = _without_sealed(state, keys, c, topic, field)
    restored = decode_snapshot(c.id, c.version, topic, state, keys)
    assert (restored.medication_withdrawn, restored.doses_given) == ({}, {})
    assert _state(restored) == _state(c)
    restored.doses_given["a dose"] = 1  # its own dict, not one the class shares
    assert Child.doses_given == {}
