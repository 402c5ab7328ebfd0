"""Offline tablets, racing carers and timed jobs: nothing lost, nothing doubled, the ratio held,
and a day rebuilt from its events equal to what was shown live."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from datetime import timedelta
from typing import Any
from uuid import UUID

from backend import scheduler
from backend.clock import Clock
from backend.scheduler import escalate_uncollected_children
from backend.state import Runtime
from projections import attendance, attendance_queries
from tests.api.attendance_world import (
    NINE,
    Room,
    at,
    attending_room,
    caregiver_of,
    check_in_body,
    check_out_body,
)
from tests.api.booking_world import HOURLY, bookable_room, booking_body, put
from tests.api.days import DAY
from tests.api.rebuilds import rebuilt_equals_live
from tests.api.world import World


async def _count(world: World, event: str) -> int:
    return await world.runtime.pool.fetchval(
        "SELECT count(*) FROM events WHERE topic LIKE $1", f"%AttendanceDay.{event}"
    )


def _tablet_queue(room) -> list[tuple[str, dict, str]]:
    """Fifty commands a room tablet queued while offline, each with its client command id."""
    queue = []
    for i, child in enumerate(room.children):
        queue.append(("/v1/attendance/check-ins", check_in_body(room, child, minutes=i), ""))
    for kind, extra in (("toileting", {"toileting": "wet"}), ("meal", {"meal": "morning_snack"}),
                        ("observation", {"note": "情绪愉快"})):  # fmt: skip
        for i, child in enumerate(room.children):
            body = {"room_id": str(room.room_id), "kind": kind, "child_ids": [str(child)],
                    "at": at(20 + i), **extra}  # fmt: skip
            queue.append(("/v1/attendance/care-logs", body, ""))
    for i, child in enumerate(room.children):
        queue.append(("/v1/attendance/check-outs",
                      check_out_body(room, child, room.guardian.phone, minutes=60 + i), ""))  # fmt: skip
    return [(path, body, f"tablet-{uuid.uuid4()}") for path, body, _ in queue]


async def test_a_tablet_replaying_50_queued_commands_after_an_outage_records_each_once(
    world: World,
):
    room = await attending_room(world, children=10)
    await world.post("/v1/staff/clock-ins", {"room_id": str(room.room_id), "at": at()},
               room.admin)  # fmt: skip
    world.runtime.clock.at = NINE + timedelta(hours=3)  # type: ignore[attr-defined]
    queue = _tablet_queue(room)
    assert len(queue) == 50
    for path, body, key in queue:  # the first delivery, in order; the answers were lost
        response = await world.post(path, body, room.caregiver, key=key)
        assert response.status_code == 201, response.text
    replays = await asyncio.gather(
        *(world.post(path, body, room.caregiver, key=key) for path, body, key in queue)
    )
    assert {r.status_code for r in replays} == {201}
    assert all(r.json()["replayed"] for r in replays)
    assert await _count(world, "ChildCheckedIn") == 10
    assert await _count(world, "CareLogged") == 30
    assert await _count(world, "ChildCheckedOut") == 10
    day = (await world.client.get(f"/v1/children/{room.children[3]}/days/{DAY}",
                                  headers=world.fresh(room.guardian.headers))).json()  # fmt: skip
    assert [e["time"] for e in day["entries"]] == ["09:03", "09:23", "09:23", "09:23", "10:03"]


async def test_care_a_tablet_logged_offline_reaches_the_children_in_the_room_at_its_time(
    world: World,
):
    room = await attending_room(world, children=2)
    stayed, left = room.children
    for child in room.children:
        response = await world.post("/v1/attendance/check-ins", check_in_body(room, child),
                                    room.caregiver)  # fmt: skip
        assert response.status_code == 201, response.text
    world.runtime.clock.at = NINE + timedelta(minutes=150)  # type: ignore[attr-defined]
    collected = await world.post("/v1/attendance/check-outs",
                                 check_out_body(room, left, room.guardian.phone, minutes=120),
                                 room.caregiver)  # fmt: skip
    assert collected.status_code == 201, collected.text
    room_care = {"room_id": str(room.room_id)}
    queued = [  # logged offline on the tablet before the pick-up, synced at 11:30
        {**room_care, "kind": "nap_start", "child_ids": [str(left)], "at": at(60)},
        {**room_care, "kind": "nap_check", "child_ids": [str(left)], "at": at(75)},
        {**room_care, "kind": "meal", "meal": "morning_snack", "at": at(90)},
    ]
    for body in queued:
        response = await world.post("/v1/attendance/care-logs", body, room.caregiver)
        assert response.status_code == 201, response.text

    async def entries(child) -> list[tuple[str, str]]:
        day = (await world.client.get(f"/v1/children/{child}/days/{DAY}",
                                      headers=world.fresh(room.guardian.headers))).json()  # fmt: skip
        return [(e["time"], e["kind"]) for e in day["entries"]]

    assert await entries(left) == [
        ("09:00", "check_in"), ("10:00", "nap_start"), ("10:15", "nap_check"),
        ("10:30", "meal"), ("11:00", "check_out"),
    ]  # fmt: skip
    assert await entries(stayed) == [("09:00", "check_in"), ("10:30", "meal")]
    live = (await world.client.get(f"/v1/institutions/{room.institution_id}/occupancy/live",
                                   headers=world.fresh(room.admin.headers))).json()  # fmt: skip
    assert live["rooms"][0]["nap_checks_overdue"] == 0  # the child who left is not asleep here


async def test_a_nap_synced_from_a_room_its_child_has_left_for_another_is_history_there(
    world: World,
):
    room = await attending_room(world)
    child = room.children[0]
    frozen, world.runtime.clock = world.runtime.clock, Clock()  # set up on the real clock
    try:
        base = f"/v1/institutions/{room.institution_id}"
        added = await world.add_room(room.institution_id, room.admin, name="月亮班")
        second = UUID(added.json()["id"])
        await put(world, f"{base}/rooms/{second}/offers", {"offers": [HOURLY]}, room.admin)
        shifts = [
            {"weekday": d, "starts": "08:00", "ends": "17:30", "staff": 2} for d in range(1, 6)
        ]
        await put(world, f"{base}/rooms/{second}/roster", {"shifts": shifts}, room.admin)
        later = booking_body(room.institution_id, second, child, "11:00", "13:00")
        assert (await world.post("/v1/bookings", later, room.guardian)).status_code == 201
        other_carer = await caregiver_of(world, room.institution_id, room.admin)
    finally:
        world.runtime.clock = frozen
    assert (await world.post("/v1/attendance/check-ins", check_in_body(room, child),
                             room.caregiver)).status_code == 201  # fmt: skip
    world.runtime.clock.at = NINE + timedelta(minutes=150)  # type: ignore[attr-defined]
    out = check_out_body(room, child, room.guardian.phone, minutes=120)
    assert (await world.post("/v1/attendance/check-outs", out, room.caregiver)).status_code == 201
    clocked = await world.post("/v1/staff/clock-ins", {"room_id": str(second), "at": at(120)},
                               other_carer)  # fmt: skip
    assert clocked.status_code == 201, clocked.text
    moved = {**check_in_body(room, child, minutes=120), "room_id": str(second)}
    assert (await world.post("/v1/attendance/check-ins", moved, other_carer)).status_code == 201
    synced = {"room_id": str(room.room_id), "kind": "nap_start", "child_ids": [str(child)],
              "at": at(60)}  # logged in the first room at 10:00, synced at 11:30  # fmt: skip
    assert (await world.post("/v1/attendance/care-logs", synced, room.caregiver)).status_code == 201
    live = (await world.client.get(f"/v1/institutions/{room.institution_id}/occupancy/live",
                                   headers=world.fresh(room.admin.headers))).json()  # fmt: skip
    assert [r["nap_checks_overdue"] for r in live["rooms"]] == [0, 0]  # asleep nowhere
    nap = {"room_id": str(second), "kind": "nap_start", "child_ids": [str(child)], "at": at(150)}
    started = await world.post("/v1/attendance/care-logs", nap, other_carer)
    assert started.status_code == 201, started.text  # not "already asleep"


async def test_a_shared_tablet_replays_a_colleagues_queue_without_doubling_it(world: World):
    """The tablet's queue outlives a carer's sign-in: whoever is signed in when it reconnects
    replays it, and gets the first answers; the same key on another body is refused."""
    elsewhere, _, other_admin = await bookable_room(world)
    outsider = await caregiver_of(world, elsewhere, other_admin)
    room = await attending_room(world, children=2)
    world.runtime.clock.at = NINE + timedelta(hours=3)  # type: ignore[attr-defined]
    queue = _tablet_queue(room)[:2] + _tablet_queue(room)[2:3]  # two check-ins, a care log
    for path, body, key in queue:
        assert (await world.post(path, body, room.caregiver, key=key)).status_code == 201
    replays = [await world.post(path, body, room.admin, key=key) for path, body, key in queue]
    assert [(r.status_code, r.json()["replayed"]) for r in replays] == [(201, True)] * 3
    assert await _count(world, "ChildCheckedIn") == 2
    assert await _count(world, "CareLogged") == 1
    for path, body, key in queue:  # another institution's carer never reads those answers
        stolen = await world.post(path, body, outsider, key=key)
        assert stolen.status_code == 403, stolen.text
    path, body, key = queue[2]
    other = await world.post(path, {**body, "note": "另一条"}, room.admin, key=key)
    assert other.status_code == 422, other.text
    assert await _count(world, "CareLogged") == 1


async def test_a_clock_in_replayed_into_a_stay_recorded_since_is_refused_so_no_carer_counts_twice(
    world: World,
):
    """The carer's phone clocked in offline at 09:00; the room's tablet had them in from 09:30
    to 10:30. The phone's clock-in, synced at 11:30, would have them in the room twice between
    09:30 and 10:30 (and a check-in replayed for 10:00 judged with two carers)."""
    room = await attending_room(world, children=6, clock_in=False)  # 托小班 1:5
    clock = world.runtime.clock
    body = {"room_id": str(room.room_id)}
    clock.at = NINE + timedelta(minutes=30)  # type: ignore[attr-defined]
    assert (await world.post("/v1/staff/clock-ins", {**body, "at": at(30)}, room.caregiver)
            ).status_code == 201  # fmt: skip
    clock.at = NINE + timedelta(minutes=90)  # type: ignore[attr-defined]
    assert (await world.post("/v1/staff/clock-outs", {**body, "at": at(90)}, room.caregiver)
            ).status_code == 201  # fmt: skip
    clock.at = NINE + timedelta(minutes=150)  # type: ignore[attr-defined]
    replayed = await world.post("/v1/staff/clock-ins", {**body, "at": at(0)}, room.caregiver)
    assert replayed.status_code == 409, replayed.text
    assert (replayed.json()["type"], replayed.json()["field"]) == ("/problems/visit-overlaps", "at")
    assert await _count(world, "StaffClockedIn") == 1
    statuses = []  # six arrivals the tablet recorded offline at 10:00, when one carer was in
    for child in room.children:
        body_at_ten = check_in_body(room, child, minutes=60)
        statuses.append((await world.post("/v1/attendance/check-ins", body_at_ten, room.admin)
                         ).status_code)  # fmt: skip
    assert statuses == [201] * 5 + [409]
    after = await world.post("/v1/staff/clock-ins", {**body, "at": at(89)}, room.caregiver)
    assert after.status_code == 201, after.text  # within the devices' two minutes of skew


async def test_concurrent_check_ins_never_break_the_ratio(world: World):
    room = await attending_room(world, children=12)  # 托小班 1:5, one carer clocked in
    answers = await asyncio.gather(
        *(world.post("/v1/attendance/check-ins", check_in_body(room, child), room.caregiver)
          for child in room.children)
    )  # fmt: skip
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [201] * 5 + [409] * 7
    live = (await world.client.get(f"/v1/institutions/{room.institution_id}/occupancy/live",
                                   headers=world.fresh(room.admin.headers))).json()  # fmt: skip
    assert live["children_present"] == 5 == await _count(world, "ChildCheckedIn")
    assert live["rooms"][0]["alarm"] is None


async def test_two_workers_escalating_an_uncollected_child_at_once_notify_once(
    world: World, second_worker: Runtime
):
    room = await attending_room(world)
    second_worker.clock = world.runtime.clock
    await world.post("/v1/attendance/check-ins", check_in_body(room, room.children[0]),
               room.caregiver)  # fmt: skip
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    clock = world.runtime.clock
    clock.at = NINE + timedelta(hours=8, minutes=44)  # type: ignore[attr-defined]  # 17:44
    assert await escalate_uncollected_children(world.runtime) == 0
    clock.at = NINE + timedelta(hours=8, minutes=45)  # type: ignore[attr-defined]  # closing + 15
    workers = (world.runtime, second_worker) * 2
    both = await asyncio.gather(*(escalate_uncollected_children(w) for w in workers))
    assert sum(both) == 1
    assert await escalate_uncollected_children(second_worker) == 0
    assert await escalate_uncollected_children(world.runtime) == 0
    clock.at = NINE + timedelta(hours=9)  # type: ignore[attr-defined]  # 15 minutes on: again
    assert await escalate_uncollected_children(world.runtime) == 1
    world.last_position = await world.runtime.store.head_position()
    kinds = [
        [n["kind"] for n in (await world.client.get("/v1/notifications",
                                                    headers=world.fresh(who.headers))).json()]
        for who in (room.guardian, room.admin)
    ]  # fmt: skip
    assert kinds[0].count("uncollected") == 2 and kinds[1] == ["uncollected"]


async def test_a_day_the_escalation_job_cannot_do_does_not_hold_up_the_others(
    world: World, monkeypatch, caplog
):
    room = await attending_room(world)
    await world.post("/v1/attendance/check-ins", check_in_body(room, room.children[0]),
                     room.caregiver)  # fmt: skip
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    world.runtime.clock.at = NINE + timedelta(hours=8, minutes=45)  # type: ignore[attr-defined]
    found = attendance_queries.days_past_closing_with_children
    missing, broken = uuid.uuid4(), uuid.uuid4()

    async def with_two_bad_days(*args):  # a day whose stream is gone, one that breaks, then ours
        return [missing, broken, *await found(*args)]

    real = scheduler.escalate_uncollected

    async def breaks_on(uow, now, *, day_id):
        if day_id == broken:
            raise RuntimeError("a stream that cannot be read")
        return await real(uow, now, day_id=day_id)

    caplog.set_level(logging.INFO, logger="tuoyu.scheduler")
    monkeypatch.setattr(attendance_queries, "days_past_closing_with_children", with_two_bad_days)
    monkeypatch.setattr(scheduler, "escalate_uncollected", breaks_on)
    assert await scheduler.escalate_uncollected_children(world.runtime) == 1
    assert f"escalation of day {missing} not done" in caplog.text
    assert f"escalation of day {broken} failed" in caplog.text


async def _nap_turn_away_and_escalate(world: World, room) -> None:
    """The rest of a day: a nap with its checks, a child turned away after a fever, and the
    children nobody collected escalated after closing."""
    world.runtime.clock.at = NINE + timedelta(hours=3)  # type: ignore[attr-defined]
    nap = [("nap_start", 120), ("nap_check", 132), ("nap_check", 144), ("nap_end", 150)]
    for kind, minutes in nap:
        body = {"room_id": str(room.room_id), "kind": kind, "at": at(minutes),
                "child_ids": [str(room.children[3])]}  # fmt: skip
        response = await world.post("/v1/attendance/care-logs", body, room.caregiver)
        assert response.status_code == 201, response.text
    fever = {**check_in_body(room, room.children[6], minutes=60),
             "health_check": {"temperature_c": 38.4}, "abnormal_outcome": "refuse",
             "note": "发热，请家长带回"}  # fmt: skip
    response = await world.post("/v1/attendance/check-ins", fever, room.caregiver)
    assert response.status_code == 201 and response.json()["status"] == "turned_away"
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    world.runtime.clock.at = NINE + timedelta(hours=8, minutes=45)  # type: ignore[attr-defined]
    assert await escalate_uncollected_children(world.runtime) == 3


async def test_a_full_day_rebuilt_from_its_events_equals_the_live_read_models(world: World):
    room = await attending_room(world, children=7)  # the seventh is turned away at the door
    await world.post("/v1/staff/clock-ins", {"room_id": str(room.room_id), "at": at()},
               room.admin)  # fmt: skip
    world.runtime.clock.at = NINE + timedelta(hours=2)  # type: ignore[attr-defined]
    six = dataclasses.replace(room, children=room.children[:6])
    for path, body, key in _tablet_queue(six)[:6]:
        await world.post(path, body, room.caregiver, key=key)
    await world.post("/v1/staff/clock-outs", {"room_id": str(room.room_id), "at": at(30)},
               room.admin)  # fmt: skip  # six children, one carer: the alarm
    await world.post("/v1/attendance/care-logs", {"room_id": str(room.room_id), "kind": "meal",
               "meal": "lunch", "at": at(90)}, room.caregiver)  # fmt: skip
    for path, body, key in _tablet_queue(six)[-6:-3]:
        await world.post(path, body, room.caregiver, key=key)
    corrections = [  # a present child's arrival, a finished visit's departure, a missed visit
        (room.children[4], at(-5), None, at(4)),
        (room.children[0], at(0), at(50), at(0)),
        (room.children[1], at(100), at(110), None),
    ]
    for child, arrived, left, replaces in corrections:
        body = {"child_id": str(child), "room_id": str(room.room_id), "arrived_at": arrived,
                "left_at": left, "replaces": replaces, "reason": "按纸质签到表更正"}  # fmt: skip
        response = await world.post(
            f"/v1/institutions/{room.institution_id}/attendance/corrections", body, room.admin
        )
        assert response.status_code == 201, response.text
    await _nap_turn_away_and_escalate(world, room)
    live = await rebuilt_equals_live(world, attendance)
    assert len(live["rm_live_children"]) == 3 and len(live["rm_room_alarms"]) == 0
    assert NINE - timedelta(minutes=5) in {r[3] for r in live["rm_live_children"]}
    assert len(live["rm_attendance_register"]) == 8  # the child turned away has its row too
    kinds = [r[2] for r in live["rm_occupancy_feed"]]
    assert kinds.count("ratio_alarm") == 1 and kinds.count("ratio_recovered") == 1


async def _child_nobody_collects(world: World) -> Room:
    """A room whose child arrived at 09:00 and is never collected, its carer on since 09:00."""
    room = await attending_room(world)
    arrived = await world.post("/v1/attendance/check-ins", check_in_body(room, room.children[0]),
                               room.caregiver)  # fmt: skip
    assert arrived.status_code == 201, arrived.text
    return room


async def _collected_at(world: World, room: Room, minutes: int) -> Any:
    """The room's child collected by its guardian `minutes` after 09:00 on DAY."""
    body = check_out_body(room, room.children[0], room.guardian.phone, minutes=minutes)
    return await world.post("/v1/attendance/check-outs", body, room.caregiver)


async def test_a_child_collected_after_midnight_is_checked_out_on_its_day_and_alerts_stop(
    world: World,
):
    """Escalated all evening, the child is collected at 00:10: the check-out belongs to the
    day of the stay, not to the new local day that never saw the child."""
    room = await _child_nobody_collects(world)
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    world.runtime.clock.at = NINE + timedelta(hours=9)  # type: ignore[attr-defined]  # 18:00
    assert await escalate_uncollected_children(world.runtime) == 1
    world.runtime.clock.at = NINE + timedelta(hours=15, minutes=10)  # type: ignore[attr-defined]
    collected = await _collected_at(world, room, 15 * 60 + 10)
    assert collected.status_code == 201, collected.text
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    world.runtime.clock.at = NINE + timedelta(hours=16)  # type: ignore[attr-defined]
    assert await escalate_uncollected_children(world.runtime) == 0
    twice = await _collected_at(world, room, 16 * 60)
    assert twice.status_code == 409, twice.text


async def _live_after_midnight(world: World, room) -> dict:
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    response = await world.client.get(
        f"/v1/institutions/{room.institution_id}/occupancy/live",
        headers=world.fresh(room.admin.headers),
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_after_midnight_the_live_view_shows_the_uncollected_child_and_the_carer_with_it(
    world: World,
):
    room = await _child_nobody_collects(world)
    child = room.children[0]
    world.runtime.clock.at = NINE + timedelta(hours=15, minutes=30)  # type: ignore[attr-defined]

    live = await _live_after_midnight(world, room)  # 00:30, the next local day
    [seen] = live["rooms"]
    assert [c["child_id"] for c in seen["children"]] == [str(child)]
    assert (live["children_present"], live["staff_present"], seen["ratio_ok"]) == (1, 1, True)


async def test_after_midnight_the_last_carer_leaving_a_child_nobody_collected_shows_the_alarm(
    world: World,
):
    room = await _child_nobody_collects(world)
    world.runtime.clock.at = NINE + timedelta(hours=15, minutes=30)  # type: ignore[attr-defined]
    out = await world.post("/v1/staff/clock-outs",
                           {"room_id": str(room.room_id), "at": at(15 * 60 + 25)},
                           room.caregiver)  # fmt: skip
    assert out.status_code == 201, out.text
    [seen] = (await _live_after_midnight(world, room))["rooms"]
    assert (seen["ratio_ok"], seen["alarm"]) == (False, "ratio")


async def test_a_carer_still_clocked_in_from_the_day_before_and_clocked_in_again_counts_once(
    world: World,
):
    room = await _child_nobody_collects(world)  # and the carer stays on
    world.runtime.clock.at = NINE + timedelta(hours=23, minutes=30)  # type: ignore[attr-defined]
    again = await world.post("/v1/staff/clock-ins",
                             {"room_id": str(room.room_id), "at": at(23 * 60 + 25)},
                             room.caregiver)  # fmt: skip
    assert again.status_code == 201, again.text  # 08:25 the next day, on the new day's record
    live = await _live_after_midnight(world, room)
    assert (live["children_present"], live["staff_present"]) == (1, 1)


async def test_after_midnight_a_carer_still_clocked_in_from_the_day_before_counts_only_beside_such_a_child(
    world: World,
):
    room = await attending_room(world)  # the carer forgot to clock out; no child stayed
    world.runtime.clock.at = NINE + timedelta(hours=15, minutes=30)  # type: ignore[attr-defined]
    live = await _live_after_midnight(world, room)
    assert (live["children_present"], live["staff_present"]) == (0, 0)


async def test_a_carer_who_stayed_past_midnight_with_an_uncollected_child_clocks_out_of_that_day(
    world: World,
):
    room = await _child_nobody_collects(world)
    world.runtime.clock.at = NINE + timedelta(hours=15, minutes=30)  # type: ignore[attr-defined]
    collected = await _collected_at(world, room, 15 * 60 + 20)
    assert collected.status_code == 201, collected.text
    out = await world.post(
        "/v1/staff/clock-outs", {"room_id": str(room.room_id), "at": at(15 * 60 + 25)},
        room.caregiver,
    )  # fmt: skip
    assert out.status_code == 201, out.text
    again = await world.post(
        "/v1/staff/clock-outs", {"room_id": str(room.room_id), "at": at(15 * 60 + 26)},
        room.caregiver,
    )  # fmt: skip
    assert again.status_code == 409, again.text
    assert (await _live_after_midnight(world, room))["staff_present"] == 0
