"""No-shows: a place not taken in time is released once, whoever ticks; a child who arrived keeps it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import UUID

from backend.clock import FrozenClock
from backend.scheduler import _DUE_NO_SHOWS, release_due_no_shows
from backend.state import Runtime
from domain.booking.terms import MIN_NO_SHOW_MINUTES
from tests.api.attendance_world import (
    Room,
    attending_room,
    check_in,
    check_in_body,
    check_out_body,
    second_room,
)
from tests.api.booking_world import (
    bookable_room,
    booking_body,
    found_by_search,
    many_children,
    put,
)
from tests.api.days import DAY, NINE
from tests.api.world import World, idem

# Bookings are made on the real clock (tokens are checked against it); the day of care is then
# reached by moving an injected clock to 09:00 on DAY.
START = NINE


async def _booked(world: World, capacity: int = 15, children: int = 1):
    institution_id, room_id, admin = await bookable_room(world, capacity=capacity)
    guardian = await world.guardian()
    kids = await many_children(world, guardian, children)
    ids = []
    for kid in kids:
        response = world.saw(
            await world.client.post(
                "/v1/bookings",
                json=booking_body(institution_id, room_id, kid),
                headers={**world.fresh(guardian.headers), **idem()},
            )  # fmt: skip
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return institution_id, room_id, admin, guardian, ids


async def _status(world: World, booking_id: str, who) -> dict:
    response = await world.client.get(
        f"/v1/bookings/{booking_id}", headers=world.fresh(who.headers)
    )
    return response.json()


async def _freed_as_no_show(world: World, room: Room) -> FrozenClock:
    """The room's one booking, not checked in by 09:21, freed by the no-show job (20 min)."""
    await put(
        world, f"/v1/institutions/{room.institution_id}/booking-settings",
        {"no_show_after_minutes": 20, "waitlist_offer_minutes": 15}, room.admin,
    )  # fmt: skip
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    clock = world.runtime.clock
    assert isinstance(clock, FrozenClock)
    clock.at = START.replace(minute=21)
    assert await release_due_no_shows(world.runtime) == 1
    return clock


async def test_a_booking_not_checked_in_after_the_institutions_limit_is_released_once(
    world: World, second_worker: Runtime
):
    room = await attending_room(world, children=2)
    second_worker.clock = world.runtime.clock
    institution_id, admin, guardian = room.institution_id, room.admin, room.guardian
    absent, present = room.bookings
    await put(
        world, f"/v1/institutions/{institution_id}/booking-settings",
        {"no_show_after_minutes": 20, "waitlist_offer_minutes": 15}, admin,
    )  # fmt: skip
    clock = world.runtime.clock
    assert isinstance(clock, FrozenClock) and clock.at == START
    assert (await check_in(world, room, room.children[1])).status_code == 201
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    clock.at = START.replace(minute=19)
    assert await release_due_no_shows(world.runtime) == 0  # not yet
    clock.at = START.replace(minute=21)
    # two server processes tick at the same moment, twice each
    workers = (world.runtime, second_worker) * 2
    results = await asyncio.gather(*(release_due_no_shows(w) for w in workers))
    assert sum(results) == 1
    assert await release_due_no_shows(second_worker) == 0  # and again later: nothing twice
    events = await world.runtime.pool.fetchval(
        "SELECT count(*) FROM events WHERE topic LIKE '%RoomDay.NoShowReleased'"
    )
    assert events == 1
    world.last_position = await world.runtime.store.head_position()
    assert (await _status(world, absent, guardian))["status"] == "no_show"
    assert (await _status(world, present, guardian))["status"] == "checked_in"


async def test_the_guardian_is_told_of_the_booking_and_of_its_release(world: World):
    _, _, _, guardian, [booking] = await _booked(world)
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    world.runtime.clock = FrozenClock(at=START.replace(minute=31))
    assert await release_due_no_shows(world.runtime) == 1
    world.last_position = await world.runtime.store.head_position()
    notes = (
        await world.client.get("/v1/notifications", headers=world.fresh(guardian.headers))
    ).json()
    assert [n["kind"] for n in notes] == ["no_show", "booked"]
    assert notes[1]["body"].startswith(f"{DAY} 09:00–11:00 计时托")
    assert "名额已释放" in notes[0]["body"] and notes[0]["booking_id"] == booking


async def test_a_child_turned_away_at_the_door_is_released_as_turned_away_not_as_a_no_show(
    world: World,
):
    room = await attending_room(world)
    [child], [booking] = room.children, room.bookings
    fever = {"health_check": {"temperature_c": 38.5}, "abnormal_outcome": "refuse", "note": "发热"}
    refused = await check_in(world, room, child, **fever)
    assert refused.json()["status"] == "turned_away", refused.text
    await _freed_as_no_show(world, room)  # the job runs at the no-show time: one released
    world.last_position = await world.runtime.store.head_position()

    seen = await _status(world, booking, room.guardian)
    assert seen["status"] == "turned_away"
    assert seen["history"][-1]["detail"] == "晨检未通过，未入园，名额已释放"
    notes = (
        await world.client.get("/v1/notifications", headers=world.fresh(room.guardian.headers))
    ).json()
    assert "no_show" not in [n["kind"] for n in notes]  # told once, at the door
    assert "turned_away" in [n["kind"] for n in notes]


async def test_a_drop_off_replayed_after_the_no_show_job_freed_its_booking_restores_it(
    world: World,
):
    room = await attending_room(world, children=1)
    [child], [booking] = room.children, room.bookings
    clock = await _freed_as_no_show(world, room)  # the tablet went offline at 09:00
    clock.at = START.replace(minute=50)  # back online
    walked_in_after_release = await check_in(world, room, child, minutes=25)
    assert walked_in_after_release.status_code == 409, walked_in_after_release.text
    assert walked_in_after_release.json()["type"] == "/problems/no-care-today"
    replayed = await check_in(world, room, child, minutes=5)  # dropped off at 09:05, queued
    assert replayed.status_code == 201, replayed.text
    assert replayed.json()["booking_id"] == booking
    assert replayed.json()["local_time"] == "09:05"
    collected = await world.post(
        "/v1/attendance/check-outs", check_out_body(room, child, room.guardian.phone, minutes=45),
        room.caregiver,
    )  # fmt: skip
    assert collected.status_code == 201, collected.text
    world.last_position = await world.runtime.store.head_position()
    seen = await _status(world, booking, room.guardian)
    assert seen["status"] == "completed"  # held again from the arrival, then collected
    assert [h["status"] for h in seen["history"]] == [
        "requested", "confirmed", "no_show", "checked_in", "completed",
    ]  # fmt: skip
    restored = next(h for h in seen["history"] if h["status"] == "checked_in")
    assert restored["at"].startswith(f"{NINE.replace(minute=5).isoformat()[:16]}")
    assert "离线签到补录" in restored["detail"]
    notes = (
        await world.client.get("/v1/notifications", headers=world.fresh(room.guardian.headers))
    ).json()
    assert [n["kind"] for n in notes if n["booking_id"] == booking][:2] == [
        "booking_restored", "no_show",
    ]  # fmt: skip


async def test_a_restored_no_show_counts_in_its_room_even_where_its_place_was_booked_since(
    world: World,
):
    other, third = await world.guardian(), await world.guardian()  # signed in on the real clock
    [other_child], [third_child] = (
        await many_children(world, other, 1),
        await many_children(world, third, 1),
    )
    room = await attending_room(world, children=1, capacity=1)
    [child] = room.children
    clock = await _freed_as_no_show(world, room)
    clock.at = START.replace(minute=25)  # the freed place, booked by another family
    body = booking_body(room.institution_id, room.room_id, other_child, "10:30", "11:00")
    assert (await world.post("/v1/bookings", body, other)).status_code == 201
    clock.at = START.replace(minute=50)
    assert (await check_in(world, room, child, minutes=5)).status_code == 201  # replayed
    occupancy = await world.client.get(
        f"/v1/rooms/{room.room_id}/occupancy?date={DAY}", headers=world.fresh(room.admin.headers)
    )
    by_start = {s["start"]: s["booked"] for s in occupancy.json()["segments"]}
    assert by_start["09:00"] == 1 and by_start["10:30"] == 2  # two children, one place
    body = booking_body(room.institution_id, room.room_id, third_child, "11:00", "12:00")
    assert (await world.post("/v1/bookings", body, third)).status_code == 201  # after: free
    body = booking_body(room.institution_id, room.room_id, third_child, "10:50", "11:00")
    refused = await world.post("/v1/bookings", body, third)
    assert refused.status_code == 409 and refused.json()["type"] == "/problems/room-full"


async def test_a_drop_off_replayed_after_a_same_day_closure_cancelled_its_booking_is_recorded(
    world: World,
):
    room = await attending_room(world, children=1)
    [child], [booking] = room.children, room.bookings
    clock = world.runtime.clock
    assert isinstance(clock, FrozenClock)
    clock.at = START + timedelta(
        hours=1
    )  # 10:00, a burst pipe: the room closes for the rest of the day
    closure = {"date": DAY, "reason": "水管爆裂", "room_id": str(room.room_id)}
    closed = await world.post(
        f"/v1/institutions/{room.institution_id}/closures", closure, room.admin
    )
    assert closed.status_code == 201, closed.text
    world.last_position = await world.runtime.store.head_position()
    assert (await _status(world, booking, room.guardian))["status"] == "cancelled"
    after_closure = await check_in(world, room, child, minutes=61)
    assert after_closure.status_code == 409, after_closure.text
    replayed = await check_in(world, room, child, minutes=5)  # the tablet's 09:05 drop-off
    assert replayed.status_code == 201, replayed.text
    assert replayed.json()["booking_id"] == booking


async def test_the_shortest_no_show_time_an_institution_may_set_releases_on_the_minute(
    world: World,
):
    room = await attending_room(world, children=1)
    await put(
        world, f"/v1/institutions/{room.institution_id}/booking-settings",
        {"no_show_after_minutes": MIN_NO_SHOW_MINUTES, "waitlist_offer_minutes": 15}, room.admin,
    )  # fmt: skip
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    clock = world.runtime.clock
    assert isinstance(clock, FrozenClock)
    clock.at = START + timedelta(minutes=MIN_NO_SHOW_MINUTES) - timedelta(seconds=1)
    assert await release_due_no_shows(world.runtime) == 0
    clock.at = START + timedelta(minutes=MIN_NO_SHOW_MINUTES)
    assert await release_due_no_shows(world.runtime) == 1


async def test_the_no_show_tick_reads_only_bookings_still_awaiting_their_child(world: World):
    """Every 30 s on every worker: a range of the partial index over confirmed bookings that
    have started, never a scan of all the bookings ever made (PostgreSQL is told to avoid a
    scan, so this checks the index serves the query, whatever the table's size here)."""
    async with world.runtime.pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL enable_seqscan TO off")
        plan = "\n".join(r[0] for r in await conn.fetch("EXPLAIN " + _DUE_NO_SHOWS, START))
    assert "rm_bookings_awaiting_arrival" in plan, plan
    assert "Index Cond: (starts_at <=" in plan, plan


async def test_a_booking_checked_in_then_cancelled_in_one_projector_step_reads_cancelled(
    world: World,
):
    """The read model takes whatever has committed since its last step: a check-in and the
    admin's cancellation right after must end as the last of them, not the first."""
    room = await attending_room(world)
    [booking] = room.bookings
    rt = world.runtime
    assert await rt.projector.wait_until(await rt.store.head_position())
    await rt.projector.stop()  # both events reach the read model in one step
    arrived = await world.post("/v1/attendance/check-ins", check_in_body(room, room.children[0]),
                               room.caregiver)  # fmt: skip
    assert arrived.status_code == 201, arrived.text
    cancelled = await world.post(f"/v1/bookings/{booking}/cancel",
                                 {"reason": "孩子不舒服，机构取消"}, room.admin)  # fmt: skip
    assert cancelled.status_code == 200, cancelled.text
    await rt.projector.catch_up()
    row = await rt.pool.fetchrow("SELECT status, refund_fen FROM rm_bookings WHERE id = $1",
                                 UUID(booking))  # fmt: skip
    assert (row["status"], row["refund_fen"]) == ("cancelled", cancelled.json()["refund_fen"])


async def test_a_guardian_cannot_cancel_a_booking_once_the_child_has_arrived(world: World):
    room = await attending_room(world)
    [booking] = room.bookings
    world.runtime.clock.at = START - timedelta(minutes=10)  # type: ignore[attr-defined]
    arrived = await check_in(world, room, room.children[0], minutes=-10)  # early, before 09:00
    assert arrived.status_code == 201, arrived.text

    late = await world.post(f"/v1/bookings/{booking}/cancel", {"reason": "不来了"}, room.guardian)
    assert late.status_code == 409, late.text
    assert late.json()["type"].endswith("/already-arrived")
    assert late.json()["field"] == "booking_id"
    assert (await _status(world, booking, room.guardian))["status"] == "checked_in"
    preview = await world.client.get(
        f"/v1/bookings/{booking}/refund-preview", headers=world.fresh(room.guardian.headers)
    )
    assert (preview.json()["cancellable"], preview.json()["refund_fen"]) == (False, 0)


async def test_a_guardians_cancel_racing_the_drop_off_never_leaves_a_present_child_cancelled(
    world: World,
):
    room = await attending_room(world)
    [booking], [child] = room.bookings, room.children
    world.runtime.clock.at = START - timedelta(minutes=10)  # type: ignore[attr-defined]
    arrived, cancelled = await asyncio.gather(
        check_in(world, room, child, minutes=-10),
        world.post(f"/v1/bookings/{booking}/cancel", {"reason": "不来了"}, room.guardian),
    )
    assert sorted([arrived.status_code, cancelled.status_code]) in ([200, 409], [201, 409])
    status = (await _status(world, booking, room.guardian))["status"]
    assert status == ("checked_in" if arrived.status_code == 201 else "cancelled")


async def test_a_child_staying_on_into_its_next_booking_is_no_no_show_and_both_end_at_pick_up(
    world: World,
):
    """Booked 09:00–11:00 and 11:00–12:00 in the same room, checked in once at 09:00: at 11:40
    the second booking is not released (the child is here); the pick-up at 12:00 ends both."""
    room = await attending_room(world)  # clock at 09:00 on DAY, the first booking 09:00–11:00
    child = room.children[0]
    next_one = booking_body(room.institution_id, room.room_id, child, "11:00", "12:00")
    second = await world.post("/v1/bookings", next_one, room.guardian)
    assert second.status_code == 201, second.text
    assert (await check_in(world, room, child)).status_code == 201
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    world.runtime.clock.at = NINE + timedelta(minutes=160)  # type: ignore[attr-defined]
    assert await release_due_no_shows(world.runtime) == 0
    world.runtime.clock.at = NINE + timedelta(hours=3)  # type: ignore[attr-defined]
    out = await world.post("/v1/attendance/check-outs",
                           check_out_body(room, child, room.guardian.phone, minutes=180),
                           room.caregiver)  # fmt: skip
    assert out.status_code == 201, out.text
    world.last_position = await world.runtime.store.head_position()
    statuses = [(await _status(world, b, room.guardian))["status"]
                for b in (*room.bookings, second.json()["id"])]  # fmt: skip
    assert statuses == ["completed", "completed"]
    notices = (await world.client.get("/v1/notifications",
                                      headers=world.fresh(room.guardian.headers))).json()  # fmt: skip
    assert "no_show" not in {n["kind"] for n in notices}


async def test_a_child_collected_early_still_holds_its_booked_time_in_the_search_and_booking_alike(
    world: World,
):
    """Collected at 09:30 from a 09:00–11:00 booking: the room has the place back, but the
    child's booked time stays taken, so neither the search nor a booking offers 10:30–11:30."""
    other_institution, other_room, _ = await bookable_room(world)
    room = await attending_room(world)
    [child] = room.children
    assert (await check_in(world, room, child)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(minutes=30)  # type: ignore[attr-defined]
    out = await world.post("/v1/attendance/check-outs",
                           check_out_body(room, child, room.guardian.phone, minutes=30),
                           room.caregiver)  # fmt: skip
    assert out.status_code == 201, out.text
    found = await found_by_search(world, room.guardian, child, "10:30", "11:30")
    assert str(other_institution) not in found
    booked = await world.post(
        "/v1/bookings", booking_body(other_institution, other_room, child, "10:30", "11:30"),
        room.guardian,
    )  # fmt: skip
    assert booked.json()["type"] == "/problems/child-already-booked", booked.text
    after = await found_by_search(world, room.guardian, child, "11:00", "12:00")
    assert str(other_institution) in after  # from the booked end the child is free again


async def test_a_child_still_in_another_room_of_the_institution_is_no_no_show_for_its_next_room(
    world: World,
):
    """Booked 09:00–11:00 in one room and 11:00–12:00 in another, kept in the first at 11:40:
    the second booking is not released and the guardian is not told of a no-show."""
    room = await attending_room(world)
    child = room.children[0]
    next_room = await second_room(world, room)
    later = booking_body(room.institution_id, next_room, child, "11:00", "12:00")
    assert (await world.post("/v1/bookings", later, room.guardian)).status_code == 201
    assert (await check_in(world, room, child)).status_code == 201
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    world.runtime.clock.at = NINE + timedelta(minutes=160)  # type: ignore[attr-defined]
    assert await release_due_no_shows(world.runtime) == 0
    world.last_position = await world.runtime.store.head_position()
    notices = (await world.client.get("/v1/notifications",
                                      headers=world.fresh(room.guardian.headers))).json()  # fmt: skip
    assert "no_show" not in {n["kind"] for n in notices}
