"""Commands: snapshots of long streams load the same aggregate; conflicts are retried, not lost."""

from __future__ import annotations

import asyncio
import gc
import traceback
import weakref
from uuid import uuid4

import pytest

from api_schema.common import CommandAccepted
from backend.commands import CommandContext, execute, snapshot_interval
from backend.eventstore.store import EventStore
from backend.services.institutions import accepted
from backend.unit_of_work import load_aggregate
from domain.city.aggregate import City, District
from domain.errors import AlreadyExists, NotFound
from tests.backend.cities import NOW, adding, registered_city


def count_streams_asked(
    store: EventStore, monkeypatch: pytest.MonkeyPatch, method: str
) -> list[list]:
    """The streams of each call the store makes of `method` from now on (one entry per call)."""
    calls: list[list] = []
    original = getattr(store, method)

    async def counted(ids, *rest, **named):
        calls.append(list(ids))
        return await original(ids, *rest, **named)

    monkeypatch.setattr(store, method, counted)
    return calls


def count_stream_reads(store: EventStore, monkeypatch: pytest.MonkeyPatch) -> list[list]:
    """The streams of each read the store makes from now on (one entry per round trip)."""
    return count_streams_asked(store, monkeypatch, "read_streams")


async def test_a_long_stream_is_loaded_from_its_snapshot_and_equals_a_full_replay(
    store: EventStore,
):
    city = await registered_city(store)
    for i in range(230):
        await execute(store, CommandContext(now=NOW), adding(city.id, f"d{i}"), CommandAccepted)
    await store.snapshots_written()  # written in the background, after the answers
    snapshot = await store.latest_snapshot(city.id)
    assert snapshot is not None and snapshot[0] == 200
    from_snapshot = await load_aggregate(store, city.id)
    await store.pool.execute("DELETE FROM snapshots")
    replayed = await load_aggregate(store, city.id)
    assert from_snapshot.version == replayed.version == 231
    assert from_snapshot.districts == replayed.districts
    assert from_snapshot.name == replayed.name


async def test_a_snapshot_that_no_longer_fits_its_aggregate_is_ignored_and_the_stream_replayed(
    store: EventStore, pool, caplog: pytest.LogCaptureFixture
):
    city = await registered_city(store)
    for i in range(110):
        await execute(store, CommandContext(now=NOW), adding(city.id, f"d{i}"), CommandAccepted)
    await store.snapshots_written()
    # as if the snapshot was written before City gained its `districts` state
    await pool.execute(
        "UPDATE snapshots SET state = convert_to(convert_from(state, 'UTF8')::jsonb"
        " - 'districts' #>> '{}', 'UTF8') WHERE stream_id = $1",
        city.id,
    )
    fresh = EventStore(pool)  # no cached copy: the load reads the snapshot
    try:
        with caplog.at_level("WARNING", logger="tuoyu.commands"):
            loaded = await load_aggregate(fresh, city.id)
    finally:
        await fresh.close()
    assert loaded.version == 111 and len(loaded.districts) == 110
    assert "unusable (Object missing required field" in caplog.text


async def test_concurrent_commands_on_one_aggregate_are_retried_until_all_land(store: EventStore):
    city = await registered_city(store)
    await asyncio.gather(
        *(
            execute(store, CommandContext(now=NOW), adding(city.id, f"c{i}"), CommandAccepted)
            for i in range(25)
        )
    )
    loaded = await load_aggregate(store, city.id)
    assert len(loaded.districts) == 25
    assert loaded.version == 26


async def test_a_command_key_replayed_after_success_returns_the_stored_answer(store: EventStore):
    city = await registered_city(store)
    ctx = CommandContext(now=NOW, command_key="k-1", request_hash=b"h")
    first = await execute(store, ctx, adding(city.id, "x"), CommandAccepted)
    again = await execute(store, ctx, adding(city.id, "y"), CommandAccepted)
    assert again.replayed and not first.replayed
    assert again.value == first.value and again.position == first.position
    assert "y" not in (await load_aggregate(store, city.id)).districts


async def test_a_cached_aggregate_catches_up_with_what_another_process_committed(
    store: EventStore, pool
):
    other = EventStore(pool)  # a second server process: its own cache
    try:
        city = await registered_city(store)
        await execute(store, CommandContext(now=NOW), adding(city.id, "a"), CommandAccepted)
        await execute(other, CommandContext(now=NOW), adding(city.id, "b"), CommandAccepted)
        await execute(store, CommandContext(now=NOW), adding(city.id, "c"), CommandAccepted)
        loaded = await load_aggregate(store, city.id)
        assert set(loaded.districts) == {"a", "b", "c"} and loaded.version == 4
    finally:
        await other.close()


@pytest.mark.parametrize("on_a_lane", [False, True])
async def test_a_refusal_decided_on_a_copy_another_process_made_stale_is_decided_again(
    store: EventStore, pool, on_a_lane: bool
):
    other = EventStore(pool)  # a second server process: its own cache
    try:
        city = await registered_city(store)
        await execute(store, CommandContext(now=NOW), adding(city.id, "a"), CommandAccepted)
        # `store` keeps its copy at "a"; the other process then adds "b"
        await execute(other, CommandContext(now=NOW), adding(city.id, "b"), CommandAccepted)

        async def after_b(uow):
            loaded = await uow.get(City, city.id, "city")
            if "b" not in loaded.districts:
                raise NotFound("district b does not exist", field="district")
            loaded.add_district(District("c", "区c", 1, ()), NOW)
            return accepted(loaded)

        lane = [city.id] if on_a_lane else []
        await execute(store, CommandContext(now=NOW), after_b, CommandAccepted, lane=lane)
        assert set((await load_aggregate(store, city.id)).districts) == {"a", "b", "c"}
    finally:
        await other.close()


async def test_a_refused_command_leaves_no_uncommitted_state_in_the_cache(store: EventStore):
    city = await registered_city(store)
    await execute(store, CommandContext(now=NOW), adding(city.id, "a"), CommandAccepted)

    async def half_then_fail(uow):
        loaded = await uow.get(City, city.id, "city")
        loaded.add_district(District("x", "区x", 1, ()), NOW)  # applied in memory …
        loaded.add_district(District("a", "区a", 1, ()), NOW)  # … then refused: exists
        return accepted(loaded)

    with pytest.raises(AlreadyExists):
        await execute(store, CommandContext(now=NOW), half_then_fail, CommandAccepted)
    again = await load_aggregate(store, city.id)
    assert set(again.districts) == {"a"}


async def _city_at_a(store: EventStore, on_a_lane: bool) -> tuple[City, list]:
    """A city with district "a", as committed in the cache, and the lane its commands take."""
    city = await registered_city(store)
    lane = [city.id] if on_a_lane else []
    await execute(store, CommandContext(now=NOW), adding(city.id, "a"), CommandAccepted, lane=lane)
    return city, lane


@pytest.mark.parametrize("on_a_lane", [False, True])
async def test_a_refused_command_puts_back_what_it_took_so_the_next_one_reads_nothing(
    store: EventStore, monkeypatch: pytest.MonkeyPatch, on_a_lane: bool
):
    city, lane = await _city_at_a(store, on_a_lane)
    reads = count_stream_reads(store, monkeypatch)
    with pytest.raises(AlreadyExists):  # refused on the cached copy, which it took
        await execute(
            store, CommandContext(now=NOW), adding(city.id, "a"), CommandAccepted, lane=lane
        )
    await execute(store, CommandContext(now=NOW), adding(city.id, "b"), CommandAccepted, lane=lane)
    assert reads == []  # neither read the stream: a hot room-day is not read again per refusal
    assert set((await load_aggregate(store, city.id)).districts) == {"a", "b"}


@pytest.mark.parametrize("on_a_lane", [False, True])
async def test_a_read_made_anyway_brings_the_cached_copies_up_to_date_so_a_refusal_checks_nothing(
    store: EventStore, monkeypatch: pytest.MonkeyPatch, on_a_lane: bool
):
    city, lane = await _city_at_a(store, on_a_lane)
    unseen = uuid4()  # not cached: read whatever the cache holds

    async def refused(uow):
        await uow.prefetch([city.id, unseen])
        assert await uow.find(City, unseen) is None
        return await adding(city.id, "a")(uow)  # refused: "a" exists

    checks = count_streams_asked(store, monkeypatch, "stream_versions")
    reads = count_stream_reads(store, monkeypatch)
    with pytest.raises(AlreadyExists):
        await execute(store, CommandContext(now=NOW), refused, CommandAccepted, lane=lane)
    assert reads == [[city.id, unseen]]  # one round trip, the cached copy caught up in it
    assert checks == []  # nothing was trusted unread: no versions to look up before answering


@pytest.mark.parametrize("on_a_lane", [False, True])
async def test_an_aggregate_a_bug_may_have_half_changed_is_not_put_back(
    store: EventStore, monkeypatch: pytest.MonkeyPatch, on_a_lane: bool
):
    city, lane = await _city_at_a(store, on_a_lane)

    async def buggy(uow):
        loaded = await uow.get(City, city.id, "city")
        loaded.districts["ghost"] = None  # changed without an event, then the bug
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        await execute(store, CommandContext(now=NOW), buggy, CommandAccepted, lane=lane)
    reads = count_stream_reads(store, monkeypatch)
    await execute(store, CommandContext(now=NOW), adding(city.id, "b"), CommandAccepted, lane=lane)
    assert [city.id] in reads  # read afresh
    assert set((await load_aggregate(store, city.id)).districts) == {"a", "b"}


async def test_commands_on_a_named_lane_all_land_one_after_another(store: EventStore):
    city = await registered_city(store)
    await asyncio.gather(
        *(
            execute(
                store,
                CommandContext(now=NOW),
                adding(city.id, f"l{i}"),
                CommandAccepted,
                lane=[city.id],
            )  # fmt: skip
            for i in range(30)
        )
    )
    events = await store.pool.fetchval("SELECT count(*) FROM events WHERE stream_id = $1", city.id)
    assert events == 31


async def test_commands_queued_on_a_lane_are_committed_together_each_under_its_own_key(
    store: EventStore,
):
    city = await registered_city(store)

    def ctx(i: int) -> CommandContext:
        return CommandContext(now=NOW, command_key=f"lane-{i}", request_hash=b"h")

    first = await asyncio.gather(
        *(
            execute(store, ctx(i), adding(city.id, f"g{i}"), CommandAccepted, lane=[city.id])
            for i in range(40)
        )  # fmt: skip
    )
    commits = await store.pool.fetchval(
        "SELECT count(DISTINCT recorded_at) FROM events WHERE stream_id = $1 AND version > 1",
        city.id,
    )
    assert commits < 40  # grouped: fewer appends than commands
    replays = await asyncio.gather(
        *(
            execute(store, ctx(i), adding(city.id, f"x{i}"), CommandAccepted, lane=[city.id])
            for i in range(40)
        )  # fmt: skip
    )
    assert all(r.replayed for r in replays)
    assert [r.value for r in replays] == [f.value for f in first]
    loaded = await load_aggregate(store, city.id)
    assert len(loaded.districts) == 40


async def test_a_refusal_in_a_group_answers_that_command_and_the_others_still_land(
    store: EventStore,
):
    city = await registered_city(store)
    results = await asyncio.gather(
        *(
            execute(
                store,
                CommandContext(now=NOW),
                adding(city.id, code),
                CommandAccepted,
                lane=[city.id],
            )
            for code in ["a", "b", "a", "c"]
        ),  # fmt: skip
        return_exceptions=True,
    )
    assert sum(isinstance(r, AlreadyExists) for r in results) == 1
    assert set((await load_aggregate(store, city.id)).districts) == {"a", "b", "c"}


class _Held:
    """Something a decision holds while it runs."""


async def test_a_refusal_on_a_lane_frees_what_its_decision_held_without_the_collector(
    store: EventStore,
):
    city = await registered_city(store)
    await execute(
        store, CommandContext(now=NOW), adding(city.id, "a"), CommandAccepted, lane=[city.id]
    )
    held: list[weakref.ref[_Held]] = []

    async def refused_decision(uow):
        thing = _Held()
        held.append(weakref.ref(thing))
        return await adding(city.id, "a")(uow)

    gc.collect()
    gc.disable()  # only reference counting frees anything now
    try:
        with pytest.raises(AlreadyExists):
            await execute(
                store, CommandContext(now=NOW), refused_decision, CommandAccepted, lane=[city.id]
            )
        decision = weakref.ref(refused_decision)
        del refused_decision
        await asyncio.sleep(0)  # the loop lets go of the callback that woke this task
        assert held[0]() is None  # what the refused decision held
        assert decision() is None  # the queued command, its future and the refusal with them
    finally:
        gc.enable()


async def test_a_bug_in_a_decision_on_a_lane_keeps_its_traceback_for_the_log(store: EventStore):
    city = await registered_city(store)

    async def buggy_decision(uow):
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError) as bug:
        await execute(
            store, CommandContext(now=NOW), buggy_decision, CommandAccepted, lane=[city.id]
        )
    assert "buggy_decision" in "".join(traceback.format_tb(bug.value.__traceback__))


async def test_a_first_try_decides_on_cached_aggregates_without_reading_their_streams(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
):
    city = await registered_city(store)
    await execute(store, CommandContext(now=NOW), adding(city.id, "a"), CommandAccepted)
    reads = count_stream_reads(store, monkeypatch)
    await execute(store, CommandContext(now=NOW), adding(city.id, "b"), CommandAccepted)
    await execute(
        store, CommandContext(now=NOW), adding(city.id, "c"), CommandAccepted, lane=[city.id]
    )
    assert reads == []
    store.cache.clear()
    await execute(store, CommandContext(now=NOW), adding(city.id, "d"), CommandAccepted)
    assert reads == [[city.id]]
    assert set((await load_aggregate(store, city.id)).districts) == {"a", "b", "c", "d"}


async def test_a_replay_on_a_lane_that_would_now_be_refused_gets_its_first_answer(
    store: EventStore,
):
    city = await registered_city(store)
    ctx = CommandContext(now=NOW, command_key="lane-replay", request_hash=b"h")
    first = await execute(store, ctx, adding(city.id, "a"), CommandAccepted, lane=[city.id])
    again = await execute(store, ctx, adding(city.id, "a"), CommandAccepted, lane=[city.id])
    assert again.replayed and again.value == first.value
    other = CommandContext(now=NOW, command_key="lane-other", request_hash=b"h")
    with pytest.raises(AlreadyExists):  # a new key refused stays refused
        await execute(store, other, adding(city.id, "a"), CommandAccepted, lane=[city.id])


async def test_a_lane_reads_what_its_whole_group_will_read_in_one_round_trip(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
):
    lane, cities = uuid4(), [await registered_city(store) for _ in range(12)]
    store.cache.clear()
    reads = count_stream_reads(store, monkeypatch)
    results = await asyncio.gather(
        *(
            execute(
                store,
                CommandContext(now=NOW),
                adding(c.id, "a"),
                CommandAccepted,
                lane=[lane],
                reads=[c.id],
            )  # fmt: skip
            for c in cities
        )
    )
    assert len(results) == 12
    assert len(reads) < 12 and sorted(s for r in reads for s in r) == sorted(c.id for c in cities)


async def test_a_stream_found_absent_is_not_read_again_by_the_same_decision(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
):
    reads = count_stream_reads(store, monkeypatch)
    missing = uuid4()

    async def look_twice(uow):
        assert await uow.find(City, missing) is None
        assert await uow.find(City, missing) is None
        return CommandAccepted(id=missing, version=0)

    await execute(store, CommandContext(now=NOW), look_twice, CommandAccepted)
    assert reads == [[missing]]


def test_a_long_stream_is_snapshotted_every_quarter_to_half_of_its_length():
    assert [snapshot_interval(v) for v in (1, 231, 399, 400, 10_626, 100_000)] == [
        100, 100, 128, 128, 4_096, 32_768,
    ]  # fmt: skip


async def test_a_snapshot_that_cannot_be_written_leaves_the_committed_command_answered(
    store: EventStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    city = await registered_city(store)
    for i in range(98):
        await execute(store, CommandContext(now=NOW), adding(city.id, f"d{i}"), CommandAccepted)

    async def refused(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store, "save_snapshot", refused)
    with caplog.at_level("WARNING", logger="tuoyu.eventstore"):
        outcome = await execute(
            store, CommandContext(now=NOW), adding(city.id, "x"), CommandAccepted
        )
        await store.snapshots_written()
    assert outcome.value.version == 100  # the 100th event: a snapshot was due and failed
    assert "snapshot of" in caplog.text and "not written" in caplog.text
    assert await store.latest_snapshot(city.id) is None
    assert (await load_aggregate(store, city.id)).version == 100


async def test_decisions_reading_one_aggregate_at_once_share_its_cached_copy_unread(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
):
    """Every booking and check-in of a city reads the city's rules: many at once must not
    each read the city's stream because another took the cached copy."""
    city = await registered_city(store)
    await execute(store, CommandContext(now=NOW), adding(city.id, "a"), CommandAccepted)
    reads = count_stream_reads(store, monkeypatch)
    both_inside = asyncio.Barrier(2)
    seen = []

    async def reading(uow):
        shared = await uow.read_only(City, city.id, "city")
        seen.append(shared)
        await both_inside.wait()  # the other decision reads it meanwhile
        return CommandAccepted(id=city.id, version=shared.version)

    await asyncio.gather(*(execute(store, CommandContext(now=NOW), reading, CommandAccepted)
                           for _ in range(2)))  # fmt: skip
    assert reads == [] and seen[0] is seen[1] and store.cache.peek(city.id) is seen[0]


async def test_a_shared_copy_changed_by_a_decision_then_refused_is_neither_committed_nor_cached(
    store: EventStore,
):
    """A decision reading the city shares the cache's copy; the regulator's edit takes that
    same copy, changes it, and is refused after the reader committed: the reader's append must
    not carry the edit's event, nor the cache keep the edit that never committed."""
    city, written = await registered_city(store), await registered_city(store)
    await execute(store, CommandContext(now=NOW), adding(city.id, "a"), CommandAccepted)
    lent, edited = asyncio.Event(), asyncio.Event()

    async def reading_one_writing_another(uow):
        await uow.read_only(City, city.id, "city")
        lent.set()
        await edited.wait()
        changed = await uow.get(City, written.id, "city")
        changed.add_district(District("w", "区w", 1, ()), NOW)
        return accepted(changed)

    async def editing_then_refused(uow):
        await lent.wait()
        shared = await uow.get(City, city.id, "city")
        shared.add_district(District("x", "区x", 1, ()), NOW)
        edited.set()
        await asyncio.sleep(0.05)  # the reader commits meanwhile
        raise AlreadyExists("refused after all", field="code")

    reader = execute(store, CommandContext(now=NOW), reading_one_writing_another, CommandAccepted)
    editor = execute(store, CommandContext(now=NOW), editing_then_refused, CommandAccepted)
    _, refused = await asyncio.gather(reader, editor, return_exceptions=True)
    assert isinstance(refused, AlreadyExists)
    assert list((await load_aggregate(store, city.id)).districts) == ["a"]
    cached = store.cache.peek(city.id)
    assert cached is None or list(cached.districts) == ["a"]


async def test_a_shared_copy_another_process_made_stale_makes_the_decision_read_it_again(
    store: EventStore, pool
):
    other = EventStore(pool)  # a second server process: its own cache
    try:
        city, written = await registered_city(store), await registered_city(store)
        await execute(store, CommandContext(now=NOW), adding(city.id, "a"), CommandAccepted)
        await execute(other, CommandContext(now=NOW), adding(city.id, "b"), CommandAccepted)
        versions = []

        async def reading_one_writing_another(uow):
            read = await uow.read_only(City, city.id, "city")
            versions.append(read.version)
            changed = await uow.get(City, written.id, "city")
            changed.add_district(District(f"d{len(versions)}", "区", 1, ()), NOW)
            return accepted(changed)

        await execute(store, CommandContext(now=NOW), reading_one_writing_another, CommandAccepted)
        assert versions == [2, 3]  # decided on the stale copy, refused at the append, again
        assert len((await load_aggregate(store, written.id)).districts) == 1
    finally:
        await other.close()


def _adding_unless_exists(city_id, code: str, missing):
    """Adds district `code` when the stream `missing` does not exist; refused once it does."""

    async def decide(uow):
        if await uow.find(City, missing) is not None:
            raise AlreadyExists("that city exists now", field="city_id")
        return await adding(city_id, code)(uow)

    return decide


@pytest.mark.parametrize("on_a_lane", [False, True])
async def test_a_stream_found_absent_is_trusted_absent_by_the_next_decision_without_a_read(
    store: EventStore, monkeypatch: pytest.MonkeyPatch, on_a_lane: bool
):
    """A day's attendance that does not exist yet, asked for by every check-in (an institution
    open round the clock asks for the day before's): found absent once, it is not read again."""
    city, missing = await registered_city(store), uuid4()
    lane = [city.id] if on_a_lane else []
    run = lambda code: execute(  # noqa: E731
        store, CommandContext(now=NOW), _adding_unless_exists(city.id, code, missing),
        CommandAccepted, lane=lane,
    )  # fmt: skip
    await run("a")
    reads = count_stream_reads(store, monkeypatch)
    await run("b")
    assert reads == []
    assert set((await load_aggregate(store, city.id)).districts) == {"a", "b"}


@pytest.mark.parametrize("on_a_lane", [False, True])
async def test_a_stream_another_process_created_after_it_was_found_absent_is_read_again(
    store: EventStore, pool, on_a_lane: bool
):
    """Trusted absent, a stream another process has created since makes the decision's
    append conflict (or its refusal be checked) and the decision read it and decide again."""
    other = EventStore(pool)  # a second server process: its own cache
    try:
        city, lane = await registered_city(store), []
        lane = [city.id] if on_a_lane else []
        created = await registered_city(other)
        store.cache.put_absent(created.id)  # as if `store` had found it absent before
        with pytest.raises(AlreadyExists):
            await execute(
                store, CommandContext(now=NOW), _adding_unless_exists(city.id, "a", created.id),
                CommandAccepted, lane=lane,
            )  # fmt: skip
        assert (await load_aggregate(store, city.id)).districts == {}
    finally:
        await other.close()
