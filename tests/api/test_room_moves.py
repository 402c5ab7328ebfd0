"""A child moves to another room of its institution during the day (转班): no pick-up recorded,
the guardian not told it left, the new room judged as a drop-off there would be, both rooms'
alarms judged again, replays recorded once at their real time, and a rebuild equal to live."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any
from uuid import UUID

from projections import attendance, bookings
from tests.api.attendance_world import NINE, at, check_in
from tests.api.booking_world import bookable_room
from tests.api.days import DAY
from tests.api.rebuilds import rebuilt_equals_live
from tests.api.room_moves_world import MOVE_AT, MOVES
from tests.api.room_moves_world import move_body as _move
from tests.api.room_moves_world import read as _get
from tests.api.room_moves_world import register as _register
from tests.api.room_moves_world import two_rooms as _two_rooms
from tests.api.sse import stream_opened
from tests.api.world import World


async def test_a_moved_child_is_in_the_new_room_everywhere_and_nobody_collected_it(
    world: World,
):
    rooms = await _two_rooms(world)
    first, [child] = rooms.first, rooms.first.children
    moved = await world.post(MOVES, _move(rooms, child), first.caregiver)
    assert moved.status_code == 201, moved.text
    answer = moved.json()
    assert answer["room_id"] == str(rooms.second_id) and answer["from_room_id"] == str(
        first.room_id
    )
    assert answer["local_time"] == "10:40" and answer["booking_id"] is not None

    [left] = await _register(world, first.room_id, first.admin)
    assert (left["checked_in"], left["checked_out"]) == ("09:00", "10:40")
    assert (
        left["collector"] == "转到月亮班（转班）" and left["identity_check"] == "转班，无需接送核验"
    )
    [came] = await _register(world, rooms.second_id, first.admin)
    assert (came["checked_in"], came["checked_out"], came["method"]) == ("10:40", None, "room_move")
    assert came["temperature_c"] is None and came["note"] == "从向日葵班转入"

    live = await _get(world, f"/v1/institutions/{first.institution_id}/occupancy/live", first.admin)
    assert live["children_present"] == 1
    here = {r["room_id"]: [c["child_id"] for c in r["children"]] for r in live["rooms"]}
    assert here == {str(first.room_id): [], str(rooms.second_id): [str(child)]}

    day = await _get(world, f"/v1/children/{child}/days/{DAY}", first.guardian)
    assert [(e["time"], e["title"], e["detail"]) for e in day["entries"]][-1] == (
        "10:40",
        "转班",
        "转到月亮班 10:40",
    )
    notes = await _get(world, "/v1/notifications", first.guardian)
    assert "check_out" not in [n["kind"] for n in notes]

    old = await _get(world, f"/v1/bookings/{first.bookings[0]}", first.guardian)
    assert old["history"][-1]["status"] == "completed"
    new = await _get(world, f"/v1/bookings/{answer['booking_id']}", first.guardian)
    assert new["history"][-1]["status"] == "checked_in"


async def test_the_stream_carries_the_move_to_the_carers_of_both_rooms(
    world: World, server_url: str
):
    rooms = await _two_rooms(world)
    first, [child] = rooms.first, rooms.first.children
    url = f"{server_url}/v1/institutions/{first.institution_id}/occupancy/stream"
    seen: dict[str, list[dict[str, Any]]] = {}
    readers = []
    for name, carer in (("first", first.caregiver), ("second", rooms.second_carer)):
        reader, seen[name] = await stream_opened(url, world.fresh(carer.headers), 2)
        readers.append(reader)
    assert (await world.post(MOVES, _move(rooms, child), first.caregiver)).status_code == 201
    await asyncio.wait_for(asyncio.gather(*readers), 10)
    for events in seen.values():
        row = events[1]
        assert row["event"] == "child_moved"
        data = json.loads(row["data"])
        assert (data["from_room_id"], data["room_id"], data["child_id"]) == (
            str(first.room_id),
            str(rooms.second_id),
            str(child),
        )


async def test_a_move_is_refused_by_name_when_the_child_or_the_room_does_not_allow_it(
    world: World,
):
    other_id, other_room, other_admin = await bookable_room(world)
    rooms = await _two_rooms(world, children=3, booked=1, present=2)
    first = rooms.first
    booked, unbooked, absent = first.children

    def refused(response: Any, status: int, problem: str) -> None:
        assert response.status_code == status, response.text
        assert response.json()["type"] == f"/problems/{problem}"

    not_here = await world.post(MOVES, _move(rooms, absent), first.caregiver)
    refused(not_here, 409, "not-checked-in")
    same = await world.post(MOVES, {**_move(rooms, booked), "to_room_id": str(first.room_id)},
                            first.caregiver)  # fmt: skip
    refused(same, 422, "already-in-room")
    elsewhere = await world.post(MOVES, {**_move(rooms, booked), "to_room_id": str(other_room)},
                                 first.caregiver)  # fmt: skip
    refused(elsewhere, 422, "room-not-in-institution")
    no_care = await world.post(MOVES, _move(rooms, unbooked), first.caregiver)
    refused(no_care, 409, "no-care-today")

    out = {"room_id": str(rooms.second_id), "at": at(MOVE_AT - 5)}
    assert (await world.post("/v1/staff/clock-outs", out, rooms.second_carer)).status_code == 201
    no_carer = await world.post(MOVES, _move(rooms, booked), first.caregiver)
    refused(no_carer, 409, "ratio-exceeded")
    assert no_carer.json()["params"]["minute"] == "10:40"
    not_admin = await world.post(MOVES, _move(rooms, booked, override_reason="马上到"),
                                 first.caregiver)  # fmt: skip
    assert not_admin.status_code == 403

    neither = await world.post(MOVES, _move(rooms, booked), rooms.second_carer)  # clocked out
    assert neither.status_code == 403
    assert (await world.post(MOVES, _move(rooms, booked), first.guardian)).status_code == 403
    assert (await world.post(MOVES, _move(rooms, booked), other_admin)).status_code == 403
    assert other_id != first.institution_id
    events = await world.runtime.pool.fetchval(
        "SELECT count(*) FROM events WHERE topic LIKE '%AttendanceDay.ChildMovedRoom'"
    )
    assert events == 0


async def test_an_admin_moves_a_child_past_the_ratio_with_a_reason_and_both_rooms_alarms_follow(
    world: World,
):
    rooms = await _two_rooms(world, children=6, booked=6, carer_in_second=False)
    first = rooms.first
    sixth = first.children[5]
    world.runtime.clock.at = NINE  # type: ignore[attr-defined]
    over = await check_in(world, first, sixth, who=first.admin, override_reason="第二位老师在路上")
    assert over.status_code == 201, over.text  # six children, one carer: the first room's alarm
    world.runtime.clock.at = NINE + timedelta(minutes=MOVE_AT)  # type: ignore[attr-defined]

    refused = await world.post(MOVES, _move(rooms, sixth), first.caregiver)
    assert refused.status_code == 409 and refused.json()["type"] == "/problems/ratio-exceeded"
    moved = await world.post(MOVES, _move(rooms, sixth, override_reason="月亮班老师马上到"),
                             first.admin)  # fmt: skip
    assert moved.status_code == 201, moved.text
    assert moved.json()["override_reason"] == "月亮班老师马上到"

    live = await _get(world, f"/v1/institutions/{first.institution_id}/occupancy/live", first.admin)
    alarms = {r["room_id"]: r["alarm"] for r in live["rooms"]}
    assert alarms == {str(first.room_id): None, str(rooms.second_id): "ratio"}
    feed = await world.runtime.pool.fetch(
        "SELECT kind, data FROM rm_occupancy_feed WHERE institution_id = $1 ORDER BY position",
        first.institution_id,
    )
    after_move = [(r["kind"], json.loads(r["data"])["room_id"]) for r in feed][-3:]
    assert after_move == [
        ("child_moved", str(rooms.second_id)),
        ("ratio_recovered", str(first.room_id)),
        ("ratio_alarm", str(rooms.second_id)),
    ]
    [came] = await _register(world, rooms.second_id, first.admin)
    assert came["override_reason"] == "月亮班老师马上到"
    path = f"/v1/institutions/{first.institution_id}/attendance/audit?since={DAY}"
    audit = await _get(world, path, first.admin)
    assert [(a["kind"], a["detail"]) for a in audit][-1] == ("move_override", "月亮班老师马上到")


async def test_a_move_replayed_with_its_client_command_id_is_recorded_once_at_its_real_time(
    world: World,
):
    rooms = await _two_rooms(world)
    first, [child] = rooms.first, rooms.first.children
    world.runtime.clock.at = NINE + timedelta(minutes=MOVE_AT + 50)  # type: ignore[attr-defined]
    key = "tablet-move-1"
    body = _move(rooms, child)  # made offline at 10:40, sent at 11:30
    sent = await world.post(MOVES, body, first.caregiver, key=key)
    assert sent.status_code == 201, sent.text
    again = await world.post(MOVES, body, rooms.second_carer, key=key)  # a colleague's tablet
    assert again.status_code == 201 and again.json()["replayed"]
    assert {k: v for k, v in again.json().items() if k != "replayed"} == {
        k: v for k, v in sent.json().items() if k != "replayed"
    }
    events = await world.runtime.pool.fetchval(
        "SELECT count(*) FROM events WHERE topic LIKE '%AttendanceDay.ChildMovedRoom'"
    )
    assert events == 1
    [left] = await _register(world, first.room_id, first.admin)
    [came] = await _register(world, rooms.second_id, first.admin)
    assert left["checked_out"] == came["checked_in"] == "10:40"


async def test_a_day_with_moves_rebuilt_from_its_events_equals_the_live_read_models(
    world: World,
):
    rooms = await _two_rooms(world, children=2)
    first = rooms.first
    for child in first.children:
        assert (await world.post(MOVES, _move(rooms, child), first.caregiver)).status_code == 201
    back = {**_move(rooms, first.children[0], MOVE_AT + 5), "to_room_id": str(first.room_id)}
    world.runtime.clock.at = NINE + timedelta(minutes=MOVE_AT + 5)  # type: ignore[attr-defined]
    moved_back = await world.post(MOVES, back, first.caregiver)  # its 09:00–11:00 booking
    assert moved_back.status_code == 201, moved_back.text
    live = await rebuilt_equals_live(world, attendance, bookings)
    assert len(live["rm_attendance_register"]) == 5
    resumed = [r for r in live["rm_booking_history"] if r[0] == UUID(first.bookings[0])]
    assert [r[1] for r in sorted(resumed, key=lambda r: r[3])][-3:] == [
        "checked_in", "completed", "checked_in",
    ]  # fmt: skip  # by position: the move back checked its first booking in again


async def test_a_move_a_caregiver_made_on_shift_is_accepted_when_their_phone_sends_it_later(
    world: World,
):
    rooms = await _two_rooms(world)
    first, [child] = rooms.first, rooms.first.children
    out = {"room_id": str(rooms.second_id), "at": at(MOVE_AT + 10)}
    world.runtime.clock.at = NINE + timedelta(minutes=MOVE_AT + 10)  # type: ignore[attr-defined]
    assert (await world.post("/v1/staff/clock-outs", out, rooms.second_carer)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(minutes=MOVE_AT + 50)  # type: ignore[attr-defined]
    late = await world.post(MOVES, _move(rooms, child), rooms.second_carer)  # made at 10:40
    assert late.status_code == 201, late.text
    too_late = await world.post(
        MOVES, {**_move(rooms, child, MOVE_AT + 20), "to_room_id": str(first.room_id)},
        rooms.second_carer,
    )  # fmt: skip
    assert too_late.status_code == 403  # at 11:00 they were clocked in nowhere
