"""Sealing a child's personal fields: bound to its own stream, unreadable once the key is gone,
and events written before sealing existed still read as they were written."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import msgspec
import pytest
from eventsourcing.persistence import StoredEvent

from backend.eventstore.child_keys import ChildKeys, KeyNotLoaded
from backend.eventstore.mapper import MsgspecMapper
from domain.child.aggregate import Child, Sex

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TOPIC = "domain.child.aggregate:Child.Registered"


def _registered(child_id):
    child = Child.register(
        child_id, uuid4(), name="周小满", birth_date=date(2025, 5, 1), sex=Sex.female,
        consent_purposes=("care_booking",), today=NOW.date(), now=NOW,
    )  # fmt: skip
    return child.collect_events()[0]


def test_sealed_fields_open_only_on_their_own_stream():
    keys, child, other = ChildKeys(), uuid4(), uuid4()
    keys.learn(child, ChildKeys_key())
    keys.learn(other, ChildKeys_key())
    sealed = keys.seal(child, TOPIC, b"secret")
    assert keys.open(child, TOPIC, sealed) == b"secret"
    with pytest.raises(ValueError, match="does not open"):
        keys.open(other, TOPIC, sealed)
    with pytest.raises(ValueError, match="does not open"):
        keys.open(child, TOPIC, sealed[:-1] + bytes([sealed[-1] ^ 1]))


def test_a_forgotten_key_reads_as_erased_and_an_unfetched_one_is_a_bug_not_a_blank():
    keys, child = ChildKeys(), uuid4()
    with pytest.raises(KeyNotLoaded):
        keys.open(child, TOPIC, b"x" * 40)
    keys.learn(child, ChildKeys_key())
    sealed = keys.seal(child, TOPIC, b"secret")
    keys.forget(child)
    assert keys.open(child, TOPIC, sealed) is None
    with pytest.raises(KeyNotLoaded):
        keys.seal(child, TOPIC, b"more")


def test_an_event_stored_before_sealing_existed_still_reads_in_plain():
    mapper, child_id = MsgspecMapper(), uuid4()
    event = _registered(child_id)
    state = {
        k: v for k, v in vars(event).items() if k not in ("originator_id", "originator_version")
    }
    legacy = StoredEvent(child_id, 1, "domain.child.aggregate:Child.Registered",
                         msgspec.json.encode(state))  # fmt: skip
    read = mapper.to_domain_event(legacy)
    assert (read.name, read.birth_date) == ("周小满", date(2025, 5, 1))


def test_the_mapper_seals_the_name_and_birth_date_and_reads_them_back_with_the_key():
    mapper, child_id = MsgspecMapper(), uuid4()
    mapper.keys.learn(child_id, ChildKeys_key())
    stored = mapper.to_stored_event(_registered(child_id))
    assert "周小满".encode() not in stored.state and b"2025-05-01" not in stored.state
    read = mapper.to_domain_event(stored)
    assert (read.name, read.birth_date, read.sex) == ("周小满", date(2025, 5, 1), Sex.female)


def ChildKeys_key() -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM.generate_key(bit_length=256)
