"""The in-process cache of committed aggregates: bounded, least recently used out first."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

import asyncpg
import pytest

from backend.eventstore.cache import DEFAULT_CACHE_ENTRIES, AggregateCache
from backend.eventstore.store import EventStore
from backend.settings import Settings


@dataclass
class _Committed:
    id: UUID
    version: int


def test_the_cache_drops_the_least_recently_used_aggregate_past_its_bound():
    cache = AggregateCache(max_entries=2)
    first, second, third = (_Committed(uuid4(), 1) for _ in range(3))
    cache.put(first)
    cache.put(second)
    cache.put(cache.take(first.id))  # a command used it again: now the most recent
    cache.put(third)
    assert len(cache) == 2
    assert cache.take(second.id) is None
    assert cache.take(first.id) is first and cache.take(third.id) is third


def test_an_older_copy_never_replaces_a_newer_one():
    cache = AggregateCache()
    stream = uuid4()
    newer = _Committed(stream, 5)
    cache.put(newer)
    cache.put(_Committed(stream, 4))
    assert cache.take(stream) is newer


def test_a_process_keeps_as_many_aggregates_as_its_settings_say(
    monkeypatch: pytest.MonkeyPatch,
):
    assert Settings().aggregate_cache_entries == DEFAULT_CACHE_ENTRIES
    monkeypatch.setenv("TUOYU_AGGREGATE_CACHE_ENTRIES", "50000")
    assert Settings().aggregate_cache_entries == 50_000


async def test_the_store_bounds_its_cache_as_it_is_told(pool: asyncpg.Pool):
    store = EventStore(pool, cache_entries=3)
    try:
        assert store.cache.max_entries == 3
    finally:
        await store.close()
