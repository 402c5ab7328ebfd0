"""A regular place recorded before a child's time kept its institution's zone (an event or a
snapshot without `timezone`) loads in the families' zone, and the child replays as it did."""

from __future__ import annotations

import os
from datetime import date, timedelta
from uuid import uuid4

import msgspec
from eventsourcing.persistence import StoredEvent

from backend.eventstore.child_keys import ChildKeys
from backend.eventstore.mapper import MsgspecMapper
from backend.eventstore.snapshots import decode_snapshot, encode_snapshot
from domain.child.aggregate import Child, RegularHold
from domain.clocks import FAMILIES_TIMEZONE
from tests.domain.test_child_data_rules import NOW, TODAY, child

TERM = RegularHold(
    enrolment_id=uuid4(), weekdays=(3,), first_day=TODAY,
    last_day=TODAY + timedelta(days=60), start=510, end=1020,
)  # fmt: skip


def _without_zone(stored: StoredEvent) -> StoredEvent:
    """The event's payload as written before a regular place kept its institution's zone."""
    raw = msgspec.json.decode(stored.state)
    del raw["regular"]["timezone"]
    return StoredEvent(
        stored.originator_id, stored.originator_version, stored.topic, msgspec.json.encode(raw)
    )


def test_a_place_held_before_zones_were_kept_replays_in_the_families_zone():
    c = child()
    keys = ChildKeys()
    keys.learn(c.id, os.urandom(32))  # its registration's name and birth date travel sealed
    mapper = MsgspecMapper(keys=keys)
    c.hold_regular(TERM, NOW)
    stored = [mapper.to_stored_event(e) for e in c.collect_events()]
    assert b'"timezone"' in stored[-1].state
    old = [*stored[:-1], _without_zone(stored[-1])]
    replayed = None
    for row in old:  # as a unit of work loads a stream
        replayed = mapper.to_domain_event(row).mutate(replayed)
    assert isinstance(replayed, Child)
    assert replayed.regular[TERM.enrolment_id].timezone == FAMILIES_TIMEZONE
    assert replayed.regular == c.regular


def test_a_childs_snapshot_from_before_zones_were_kept_loads_its_places_in_the_families_zone():
    c = child()
    c.hold_regular(TERM, NOW)
    c.collect_events()
    keys = ChildKeys()
    keys.learn(c.id, os.urandom(32))
    topic, state = encode_snapshot(c, keys)
    raw = msgspec.json.decode(state)
    for place in raw["regular"].values():
        del place["timezone"]
    restored = decode_snapshot(c.id, c.version, topic, msgspec.json.encode(raw), keys)
    assert restored.regular == c.regular
    assert restored.regular[TERM.enrolment_id].times_on(date(2026, 12, 2)) is not None
