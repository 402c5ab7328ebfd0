"""The live occupancy stream over a real HTTP server: a snapshot first, then each change as it is
projected, ratio alarms included, and a reconnect with Last-Event-ID that misses nothing."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx

from backend.follower import step_all
from backend.state import Runtime
from tests.api.attendance_world import NINE, at, attending_room, check_in
from tests.api.sse import read_events, stream_opened
from tests.api.world import World, idem


async def test_the_stream_sends_a_snapshot_then_each_change_and_resumes_from_last_event_id(
    world: World, server_url: str
):
    room = await attending_room(world, children=6)
    url = f"{server_url}/v1/institutions/{room.institution_id}/occupancy/stream"
    reader, seen = await stream_opened(url, world.fresh(room.admin.headers), 4)
    snapshot = seen[0]
    assert snapshot["event"] == "snapshot"
    assert json.loads(snapshot["data"])["rooms"][0]["staff"][0]["name"] == "张老师"

    for child in room.children[:5]:
        assert (await check_in(world, room, child)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(minutes=5)  # type: ignore[attr-defined]
    await world.post("/v1/staff/clock-outs", {"room_id": str(room.room_id), "at": at(5)},
               room.caregiver)  # fmt: skip
    await asyncio.wait_for(reader, 10)
    assert [e["event"] for e in seen[1:4]] == ["child_checked_in"] * 3

    resumed: list[dict[str, Any]] = []
    headers = {**room.admin.headers, "Last-Event-ID": seen[1]["id"]}
    await asyncio.wait_for(read_events(url, headers, 6, resumed), 10)
    assert [e["event"] for e in resumed] == ["child_checked_in"] * 4 + [
        "staff_clocked_out", "ratio_alarm",
    ]  # fmt: skip
    alarm = json.loads(resumed[-1]["data"])
    assert alarm["breach"] == "ratio" and alarm["staff"] == 0 and alarm["children"] == 5
    assert [int(e["id"]) for e in resumed] == sorted(int(e["id"]) for e in resumed)


async def test_a_last_event_id_the_feed_never_gave_starts_the_stream_with_a_snapshot(
    world: World, server_url: str
):
    """Garbage (`²` is a digit to `str.isdigit`, not to `int`), past a bigint, or beyond the
    feed's head (kept across a database restore): the client gets a snapshot to start from,
    not a server error, a broken stream, or silence until positions catch up."""
    room = await attending_room(world)
    url = f"{server_url}/v1/institutions/{room.institution_id}/occupancy/stream"
    head = await world.runtime.store.head_position()
    for last in ("\u00b2".encode("latin-1"), "9" * 30, str(head + 1_000_000), "abc"):
        seen: list[dict[str, Any]] = []
        headers = {**world.fresh(room.admin.headers), "Last-Event-ID": last}
        await asyncio.wait_for(read_events(url, headers, 1, seen), 10)  # type: ignore[arg-type]
        assert seen[0]["event"] == "snapshot", (last, seen)


async def test_a_caregivers_open_stream_ends_once_they_are_removed_from_the_staff(
    world: World, server_url: str
):
    room = await attending_room(world, children=2)
    url = f"{server_url}/v1/institutions/{room.institution_id}/occupancy/stream"
    reader, seen = await stream_opened(url, world.fresh(room.caregiver.headers), 50)
    assert seen[0]["event"] == "snapshot"
    removed = await world.client.delete(
        f"/v1/institutions/{room.institution_id}/staff/{room.caregiver.account_id}",
        headers={**world.fresh(room.admin.headers), **idem()},
    )
    assert world.saw(removed).status_code == 200, removed.text
    clock_in = {"room_id": str(room.room_id), "at": at(1)}
    assert (await world.post("/v1/staff/clock-ins", clock_in, room.admin)).status_code == 201
    for child in room.children:
        assert (await check_in(world, room, child, who=room.admin)).status_code == 201
    await asyncio.wait_for(reader, 10)  # the stream ended, well before its keep-alive
    assert not [e for e in seen if e["event"] == "child_checked_in"], seen


async def test_the_stream_is_refused_to_a_guardian(world: World, server_url: str):
    room = await attending_room(world)
    url = f"{server_url}/v1/institutions/{room.institution_id}/occupancy/stream"
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(url, headers=room.guardian.headers)
    assert response.status_code == 403


async def test_the_feed_hub_wakes_only_the_institution_whose_feed_moved(world: World):
    other_id, _ = await world.institution()
    room = await attending_room(world)
    hub = world.runtime.feed_hub
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    quiet = asyncio.create_task(hub.wait_past(other_id, 0, 1.0))
    watched_head = int(await world.runtime.pool.fetchval(
        "SELECT max(position) FROM rm_occupancy_feed WHERE institution_id = $1",
        room.institution_id,
    ))  # fmt: skip
    watched = asyncio.create_task(hub.wait_past(room.institution_id, watched_head, 5.0))
    assert (await check_in(world, room, room.children[0])).status_code == 201
    assert await watched is True
    assert await quiet is False


async def test_a_watched_institution_s_new_rows_are_kept_so_its_streams_read_no_table(
    world: World,
):
    room = await attending_room(world, children=3)
    hub, runtime = world.runtime.feed_hub, world.runtime
    await runtime.projector.wait_until(await runtime.store.head_position())
    after = int(await runtime.pool.fetchval(
        "SELECT coalesce(max(position), 0) FROM rm_occupancy_feed WHERE institution_id = $1",
        room.institution_id,
    ))  # fmt: skip
    assert hub.rows_after(room.institution_id, after) is None  # nobody watches: not kept
    with hub.watching(room.institution_id):
        await hub.wait_past(room.institution_id, after, 0.1)  # the hub is following now
        for child in room.children:
            assert (await check_in(world, room, child)).status_code == 201
        kept: list = []
        async with asyncio.timeout(5):
            while len(kept) < 3:  # as a stream does: wait past what it has, take what is kept
                await hub.wait_past(room.institution_id, kept[-1].position if kept else after, 1.0)
                kept = hub.rows_after(room.institution_id, after) or []
        kept = hub.rows_after(room.institution_id, after)
        assert kept is not None and [r.kind for r in kept] == ["child_checked_in"] * 3
        table = await runtime.pool.fetch(
            "SELECT position, kind, data::text AS data FROM rm_occupancy_feed"
            " WHERE institution_id = $1 AND position > $2 ORDER BY position",
            room.institution_id, after,
        )  # fmt: skip
        assert [tuple(r) for r in table] == [tuple(r) for r in kept]
        assert hub.rows_after(room.institution_id, after - 1_000_000) is None  # not all kept
    assert hub.rows_after(room.institution_id, after) is None  # unwatched: dropped


async def _feed_table(runtime: Runtime, institution_id, after: int) -> list[tuple[Any, ...]]:
    rows = await runtime.pool.fetch(
        "SELECT position, kind, data::text AS data FROM rm_occupancy_feed"
        " WHERE institution_id = $1 AND position > $2 ORDER BY position",
        institution_id, after,
    )  # fmt: skip
    return [tuple(r) for r in rows]


async def _feed_head(runtime: Runtime, institution_id) -> int:
    return int(await runtime.pool.fetchval(
        "SELECT coalesce(max(position), 0) FROM rm_occupancy_feed WHERE institution_id = $1",
        institution_id,
    ))  # fmt: skip


async def test_the_follower_hands_its_steps_feed_rows_to_the_hub_before_its_readers_wake(
    world: World,
):
    room = await attending_room(world)
    hub, runtime = world.runtime.feed_hub, world.runtime
    await runtime.projector.wait_until(await runtime.store.head_position())
    after = await _feed_head(runtime, room.institution_id)
    with hub.watching(room.institution_id):
        await hub.wait_past(room.institution_id, after, 0.1)  # the hub is following now
        response = await check_in(world, room, room.children[0])
        assert response.status_code == 201
        await runtime.projector.wait_until(response.json()["position"])
        kept = hub.rows_after(room.institution_id, after)  # no await since: no scan ran
        assert kept is not None and [r.kind for r in kept] == ["child_checked_in"]
        assert [tuple(r) for r in kept] == await _feed_table(runtime, room.institution_id, after)


async def test_feed_rows_another_process_applied_reach_this_process_s_streams(
    world: World, second_worker: Runtime, database_url: str
):
    """Two check-ins are applied by another process's follower, a third by this one's: its
    step does not follow on from what the hub knew, so the hub reads the two it missed."""
    room = await attending_room(world, children=3)
    hub, runtime = world.runtime.feed_hub, world.runtime
    await runtime.projector.wait_until(await runtime.store.head_position())
    after = await _feed_head(runtime, room.institution_id)
    with hub.watching(room.institution_id):
        await hub.wait_past(room.institution_id, after, 0.1)  # the hub is following now
        await runtime.projector.stop()  # this process's follower pauses: the other one steps
        for child in room.children[:2]:
            assert (await check_in(world, room, child)).status_code == 201
        while await step_all(second_worker.projector):
            pass
        assert (await check_in(world, room, room.children[2])).status_code == 201
        await runtime.projector.start(listen_dsn=database_url)
        table: list[tuple[Any, ...]] = []
        async with asyncio.timeout(5):
            while len(table) < 3:
                await runtime.projector.wait_until(await runtime.store.head_position())
                table = await _feed_table(runtime, room.institution_id, after)
            kept = hub.rows_after(room.institution_id, after) or []
            while len(kept) < 3:  # as a stream does: wait past what it has
                await hub.wait_past(room.institution_id, kept[-1].position if kept else after, 1.0)
                kept = hub.rows_after(room.institution_id, after) or []
        assert [kind for _, kind, _ in table] == ["child_checked_in"] * 3
        assert [tuple(r) for r in kept] == table


async def test_rows_another_process_applied_before_the_hub_scanned_them_are_read_not_awaited(
    world: World, second_worker: Runtime
):
    """A stream first waits on an institution whose feed another process's step has just
    written (this process's hub has not scanned it): `wait_past` reads the head from the table
    and says there is a row, so the kept rows must not say there is none (the stream looped on
    the two answers without yielding, and the server hung); they send it to the table."""
    other_id, _ = await world.institution()
    room = await attending_room(world)
    hub, runtime = world.runtime.feed_hub, world.runtime
    await runtime.projector.wait_until(await runtime.store.head_position())
    await hub.wait_past(other_id, 0, 0.01)  # the hub is following, scanned up to here
    after = runtime.projector.position_of("attendance")  # a snapshot's position, say
    await runtime.projector.stop()  # this process's follower pauses: the other one steps
    assert (await check_in(world, room, room.children[0])).status_code == 201
    while await step_all(second_worker.projector):
        pass
    with hub.watching(room.institution_id):
        assert await hub.wait_past(room.institution_id, after, 1.0) is True
        kept = hub.rows_after(room.institution_id, after)
        assert kept is None or [r.kind for r in kept] == ["child_checked_in"], kept
