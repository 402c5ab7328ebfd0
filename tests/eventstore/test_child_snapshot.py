"""A child from its snapshot: the same child, its personal data sealed with its own key."""

from __future__ import annotations

import os

import pytest

from backend.eventstore.child_keys import ChildKeys
from backend.eventstore.snapshots import SnapshotUnreadable, decode_snapshot, encode_snapshot
from domain.child.aggregate import Child
from tests.domain.test_child_data_rules import child


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
