"""An admin corrects the attendance register after the fact: a visit a tablet could no longer
send, a wrong arrival or departure time; who corrected and why shows in the register, its CSV
and the child's day; bad corrections are refused by name and write nothing; only the
institution's admin may correct."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any
from uuid import uuid4

from backend.unit_of_work import load_aggregate
from tests.api.attendance_world import NINE, Room, at, attending_room, caregiver_of, check_in
from tests.api.days import DAY, DAY_DATE, local
from tests.api.world import World

REASON = "平板离线两天，按纸质签到表补录"
REGISTER = "/v1/rooms/{}/attendance?date=" + DAY


def _path(room: Room) -> str:
    return f"/v1/institutions/{room.institution_id}/attendance/corrections"


def _body(room: Room, child: Any, arrived: int, left: int | None, **extra: Any) -> dict:
    body = {"child_id": str(child), "room_id": str(room.room_id), "arrived_at": at(arrived),
            "reason": REASON, **extra}  # fmt: skip
    if left is not None:
        body["left_at"] = at(left)
    return body


async def _register(world: World, room: Room) -> list[dict]:
    response = await world.client.get(REGISTER.format(room.room_id),
                                      headers=world.fresh(room.admin.headers))  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()


async def _corrections(world: World) -> int:
    return await world.runtime.pool.fetchval(
        "SELECT count(*) FROM events WHERE topic LIKE '%AttendanceDay.VisitCorrected'"
    )


async def test_an_admin_adds_the_visit_a_tablet_could_no_longer_send_once_however_often_sent(
    world: World,
):
    room = await attending_room(world)
    child = room.children[0]
    world.runtime.clock.at = NINE + timedelta(days=2)  # type: ignore[attr-defined]
    late = await check_in(world, room, child, minutes=0)
    assert late.status_code == 422 and "more than 24 h ago" in late.json()["detail"]

    answers = await asyncio.gather(
        *(world.post(_path(room), _body(room, child, 5, 115), room.admin, key="paper-sheet-1")
          for _ in range(20))
    )  # fmt: skip
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert sum(not a.json()["replayed"] for a in answers) == 1
    assert await _corrections(world) == 1

    [row] = await _register(world, room)
    assert (row["checked_in"], row["checked_out"], row["method"]) == (
        "09:05",
        "10:55",
        "correction",
    )
    assert row["corrected_by"] and row["correction_reason"] == REASON
    assert row["temperature_c"] is None and row["checked_out_by"] == row["checked_in_by"]
    csv = await world.client.get(f"/v1/rooms/{room.room_id}/attendance.csv?date={DAY}",
                                 headers=world.fresh(room.admin.headers))  # fmt: skip
    header, line = csv.text.lstrip("\ufeff").splitlines()
    assert header.endswith("更正人,更正原因") and line.endswith(REASON)
    day = await world.client.get(f"/v1/children/{child}/days/{DAY}",
                                 headers=world.fresh(room.guardian.headers))  # fmt: skip
    [entry] = day.json()["entries"]
    assert entry["time"] == "09:05" and entry["title"] == "考勤更正"
    assert entry["detail"] == f"补录：入园09:05，离园10:55；原因：{REASON}"
    notices = await world.client.get(
        "/v1/notifications", headers=world.fresh(room.guardian.headers)
    )
    [told] = [n for n in notices.json() if n["kind"] == "attendance_corrected"]
    assert told["body"].endswith(
        f"的考勤记录已由园方更正。补录：入园09:05，离园10:55；原因：{REASON}"
    )
    feed = await world.runtime.pool.fetch(
        "SELECT data FROM rm_occupancy_feed WHERE kind = 'visit_corrected'"
    )
    assert [json.loads(r["data"])["child_id"] for r in feed] == [str(child)]
    attended = await load_aggregate(world.runtime.store, child)
    assert attended.last_attended == DAY_DATE  # counts for the re-examination's 3 months


async def test_of_ten_admins_adding_overlapping_visits_at_once_exactly_one_lands(world: World):
    room = await attending_room(world)
    child = room.children[0]
    world.runtime.clock.at = NINE + timedelta(days=1)  # type: ignore[attr-defined]
    answers = await asyncio.gather(
        *(world.post(_path(room), _body(room, child, i, i + 60), room.admin)
          for i in range(10))
    )  # fmt: skip
    assert sorted(a.status_code for a in answers) == [201] + [409] * 9
    assert {a.json()["type"] for a in answers if a.status_code == 409} == {
        "/problems/visit-overlaps"
    }
    assert await _corrections(world) == 1 and len(await _register(world, room)) == 1


async def test_a_wrong_arrival_is_put_right_live_and_a_finished_visit_gets_its_real_times(
    world: World,
):
    room = await attending_room(world)
    child = room.children[0]
    assert (await check_in(world, room, child, minutes=0)).status_code == 201  # tapped late
    fixed = await world.post(_path(room), _body(room, child, -10, None, replaces=at(0)),
                             room.admin)  # fmt: skip
    assert fixed.status_code == 201, fixed.text
    live = await world.client.get(f"/v1/institutions/{room.institution_id}/occupancy/live",
                                  headers=world.fresh(room.admin.headers))  # fmt: skip
    assert live.json()["rooms"][0]["children"][0]["since"] == "08:50"

    closing = await world.post(_path(room), _body(room, child, -10, -5, replaces=at(-10)),
                               room.admin)  # fmt: skip
    assert closing.status_code == 409 and closing.json()["field"] == "left_at"
    assert closing.json()["type"] == "/problems/visit-still-open"
    elsewhere = {**_body(room, child, -5, None, replaces=at(-10)), "room_id": str(uuid4())}
    assert (await world.post(_path(room), elsewhere, room.admin)).status_code == 404

    world.runtime.clock.at = NINE + timedelta(hours=2)  # type: ignore[attr-defined]
    out = await world.post("/v1/attendance/check-outs", {
        "child_id": str(child), "institution_id": str(room.institution_id), "at": at(100),
        "collector": {"name": "李妈妈", "phone": room.guardian.phone, "identity_check": "id_card"},
    }, room.caregiver)  # fmt: skip
    assert out.status_code == 201, out.text
    departure = await world.post(_path(room), _body(room, child, -10, 95, replaces=at(-10)),
                                 room.admin)  # fmt: skip
    assert departure.status_code == 201, departure.text
    [row] = await _register(world, room)
    assert (row["checked_in"], row["checked_out"], row["method"]) == ("08:50", "10:35", "manual")
    assert row["checked_in_by"] == "张老师" and row["correction_reason"] == REASON


async def test_bad_corrections_are_refused_by_field_and_rule_and_write_nothing(world: World):
    other_id, other_admin = await world.institution()
    other_room = (await world.add_room(other_id, other_admin)).json()["id"]
    room = await attending_room(world)
    child = room.children[0]
    assert (await check_in(world, room, child, minutes=0)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(hours=4)  # type: ignore[attr-defined]
    cases: list[tuple[dict, int, str, str]] = [
        (_body(room, child, 130, 150, reason="   "), 422, "reason", "invalid-value"),
        (_body(room, child, 130, 120), 422, "left_at", "invalid-value"),
        (_body(room, child, 250, 300), 422, "arrived_at", "invalid-value"),  # the future
        (_body(room, child, 130, None), 422, "left_at", "invalid-value"),  # added, not closed
        (_body(room, child, -30, 10), 409, "arrived_at", "visit-overlaps"),
        (_body(room, child, 130, 150, replaces=at(-60)), 404, "replaces", "not-found"),
        (_body(room, uuid4(), 130, 150), 409, "child_id", "no-care-that-day"),
        ({**_body(room, child, 130, 150), "room_id": str(other_room)}, 404, "room_id",
         "not-found"),
        (_body(room, child, 130 - 95 * 24 * 60, 150 - 95 * 24 * 60), 409, "arrived_at",
         "register-closed"),
        (_body(room, child, 0, None, replaces=at(0)), 422, "arrived_at", "invalid-value"),
    ]  # fmt: skip
    for body, status, field, problem in cases:
        response = await world.post(_path(room), body, room.admin)
        assert response.status_code == status, (body, response.text)
        assert response.json()["field"] == field and response.json()["type"].endswith(problem)
    naive = await world.post(_path(room), {**_body(room, child, 130, 150),
                                           "arrived_at": local("11:10")}, room.admin)  # fmt: skip
    assert naive.status_code == 400 and "arrived_at" in naive.json()["detail"]
    empty = await world.post(_path(room), _body(room, child, 130, 150, reason=""), room.admin)
    assert empty.status_code == 400 and "reason" in empty.json()["detail"]
    assert await _corrections(world) == 0


async def test_only_an_admin_of_the_institution_corrects_its_register(world: World):
    other_id, other_admin = await world.institution()
    strangers = [
        other_admin,
        await world.regulator(),
        await caregiver_of(world, other_id, other_admin),
    ]
    room = await attending_room(world)
    for outsider in [room.caregiver, room.guardian, *strangers]:
        response = await world.post(_path(room), _body(room, room.children[0], -60, -30), outsider)
        assert response.status_code == 403, response.text
    assert await _corrections(world) == 0
