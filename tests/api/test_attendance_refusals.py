"""Attendance refused and told over HTTP: staff of another institution kept out of a room's day,
the 午检 and an admission after an abnormal 晨检 told to the guardian, who live occupancy expects
and when a room is over its class size, and refusals named by their problem type."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from tests.api.attendance_world import (
    EXAMINED,
    NINE,
    Room,
    at,
    attending_room,
    caregiver_of,
    check_in,
    check_in_body,
    check_out_body,
)
from tests.api.booking_world import booking_body, enrolment, many_children
from tests.api.days import DAY
from tests.api.world import Caller, World

AWAY = NINE - timedelta(weeks=18)  # 09:00 on a Tuesday 126 days before DAY: over 3 months away


async def _get(world: World, path: str, who: Caller) -> Any:
    response = await world.client.get(path, headers=world.fresh(who.headers))
    assert response.status_code == 200, response.text
    return response.json()


async def _live(world: World, room: Room) -> Any:
    return await _get(world, f"/v1/institutions/{room.institution_id}/occupancy/live", room.admin)


async def _care(world: World, room: Room, who: Caller, **body: Any) -> Any:
    body = {"room_id": str(room.room_id), "at": at(body.pop("minutes", 0)), **body}
    return await world.post("/v1/attendance/care-logs", body, who)


async def test_staff_of_another_institution_cannot_collect_log_care_clock_out_or_read_the_room(
    world: World,
):
    other_id, other_admin = await world.institution()
    outsiders = [other_admin, await caregiver_of(world, other_id, other_admin)]
    room = await attending_room(world)
    child = room.children[0]
    assert (await check_in(world, room, child)).status_code == 201
    cares: list[dict[str, Any]] = [
        {"kind": "meal", "meal": "morning_snack", "amount": "all"},
        {"kind": "nap_start", "child_ids": [str(child)]},
        {"kind": "midday_check", "child_ids": [str(child)], "health_check": {"temperature_c": 36.5}},
    ]  # fmt: skip
    stream = f"/v1/institutions/{room.institution_id}/occupancy/stream"
    for outsider in outsiders:
        refused = [
            await world.post("/v1/attendance/check-outs",
                             check_out_body(room, child, room.guardian.phone, minutes=0), outsider),
            *[await _care(world, room, outsider, **care) for care in cares],
            await world.post("/v1/staff/clock-outs", {"room_id": str(room.room_id), "at": at()},
                             outsider),
            await world.client.get(f"/v1/rooms/{room.room_id}/attendance?date={DAY}",
                                   headers=world.fresh(outsider.headers)),
            await asyncio.wait_for(world.client.get(stream, headers=outsider.headers), 10),
        ]  # fmt: skip
        assert [r.status_code for r in refused] == [403] * 7, [r.text for r in refused]
        assert {r.json()["type"] for r in refused} == {"/problems/forbidden"}
    live = await _live(world, room)
    assert live["children_present"] == 1 and live["staff_present"] == 1
    day = await _get(world, f"/v1/children/{child}/days/{DAY}", room.guardian)
    assert [e["title"] for e in day["entries"]] == ["入园"]


async def test_a_midday_check_joins_the_childs_day_and_an_abnormal_one_tells_the_guardian(
    world: World,
):
    room = await attending_room(world, children=2)
    well, feverish = room.children
    for child in room.children:
        assert (await check_in(world, room, child)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(hours=3)  # type: ignore[attr-defined]
    normal = await _care(world, room, room.caregiver, kind="midday_check", minutes=170,
                         child_ids=[str(well)], health_check={"temperature_c": 36.7})  # fmt: skip
    assert normal.status_code == 201, normal.text
    day = await _get(world, f"/v1/children/{well}/days/{DAY}", room.guardian)
    assert [(e["time"], e["title"], e["detail"]) for e in day["entries"]][-1] == (
        "11:50", "午检", "正常，体温36.7℃",
    )  # fmt: skip
    notes = await _get(world, "/v1/notifications", room.guardian)
    assert "midday_check_abnormal" not in [n["kind"] for n in notes]  # a normal check is quiet

    hot = {"temperature_c": 37.9, "touch_ok": False}
    missing = await _care(world, room, room.caregiver, kind="midday_check", minutes=175,
                          child_ids=[str(feverish)])  # fmt: skip
    assert missing.status_code == 422 and missing.json()["field"] == "health_check"
    abnormal = await _care(world, room, room.caregiver, kind="midday_check", minutes=175,
                           child_ids=[str(feverish)], health_check=hot, note="已联系家长")  # fmt: skip
    assert abnormal.status_code == 201, abnormal.text
    notes = await _get(world, "/v1/notifications", room.guardian)
    assert notes[0]["kind"] == "midday_check_abnormal" and notes[0]["title"] == "午检异常"
    assert notes[0]["body"] == "11:55 小宝：异常：体温37.9℃、一摸异常，已联系家长"
    day = await _get(world, f"/v1/children/{feverish}/days/{DAY}", room.guardian)
    assert day["entries"][-1]["title"] == "午检" and "37.9" in day["entries"][-1]["detail"]


async def test_a_child_admitted_after_an_abnormal_morning_check_is_in_and_the_guardian_told_when(
    world: World,
):
    room = await attending_room(world)
    child = room.children[0]
    warm = {"temperature_c": 37.4, "observations": "略有鼻涕"}
    unexplained = await check_in(world, room, child, minutes=-5, health_check=warm,
                                 abnormal_outcome="admit_with_note")  # fmt: skip
    assert unexplained.status_code == 422 and unexplained.json()["field"] == "note"
    admitted = await check_in(world, room, child, minutes=-5, health_check=warm,
                              abnormal_outcome="admit_with_note", note="已告知家长，留园观察")  # fmt: skip
    assert admitted.status_code == 201, admitted.text
    assert admitted.json()["status"] == "checked_in" and admitted.json()["local_time"] == "08:55"
    notes = await _get(world, "/v1/notifications", room.guardian)
    assert notes[0]["kind"] == "check_in_abnormal" and notes[0]["title"] == "入园通知"
    assert (
        notes[0]["body"]
        == "小宝已于08:55入园，晨检异常：体温37.4℃（观察：略有鼻涕）。已告知家长，留园观察"
    )
    assert (await _live(world, room))["children_present"] == 1
    [row] = await _get(world, f"/v1/rooms/{room.room_id}/attendance?date={DAY}", room.admin)
    assert row["checked_in"] == "08:55" and row["note"] == "已告知家长，留园观察"


async def test_live_occupancy_expects_a_booked_child_until_it_arrives(world: World):
    room = await attending_room(world, children=2)
    first, second = room.children
    [shown] = (await _live(world, room))["rooms"]
    assert shown["expected_next_hour"] == 2 and shown["children"] == []
    assert (await check_in(world, room, first)).status_code == 201
    [shown] = (await _live(world, room))["rooms"]
    assert shown["expected_next_hour"] == 1
    assert [c["child_id"] for c in shown["children"]] == [str(first)]
    assert (await check_in(world, room, second)).status_code == 201
    [shown] = (await _live(world, room))["rooms"]
    assert shown["expected_next_hour"] == 0 and len(shown["children"]) == 2


async def test_live_occupancy_expects_neither_a_child_turned_away_nor_one_here_for_its_next_booking(
    world: World,
):
    room = await attending_room(world, children=2)  # both booked 09:00–11:00
    sent_home, staying = room.children
    later = booking_body(room.institution_id, room.room_id, staying, "11:00", "12:00")
    assert (await world.post("/v1/bookings", later, room.guardian)).status_code == 201
    fever = await check_in(world, room, sent_home, health_check={"temperature_c": 38.2},
                           abnormal_outcome="refuse", note="建议就医")  # fmt: skip
    assert fever.json()["status"] == "turned_away", fever.text
    assert (await check_in(world, room, staying)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(minutes=90)  # type: ignore[attr-defined]
    [shown] = (await _live(world, room))["rooms"]
    assert shown["expected_next_hour"] == 0  # one went home, the other is here for 11:00 too


async def test_live_occupancy_expects_no_regular_place_in_a_room_closed_today(world: World):
    room = await attending_room(world, clock_in=False)
    [child] = await many_children(world, room.guardian, 1)
    body = enrolment(room.institution_id, room.room_id, child, weekdays=[2],
                     care_type="hourly", start="09:00", end="11:00")  # fmt: skip
    assert (await world.post("/v1/enrolments", body, room.guardian)).status_code == 201
    [shown] = (await _live(world, room))["rooms"]
    assert shown["expected_next_hour"] == 2  # the booking and the regular place
    closure = {"date": DAY, "reason": "停电检修", "room_id": str(room.room_id)}
    closed = await world.post(f"/v1/institutions/{room.institution_id}/closures", closure,
                              room.admin)  # fmt: skip
    assert closed.status_code == 201, closed.text
    [shown] = (await _live(world, room))["rooms"]
    assert shown["expected_next_hour"] == 0  # the booking cancelled, the place given back


async def _booked_at_eleven(world: World, room: Room) -> UUID:
    """One more child of the room's guardian, examined, booked 11:00–13:00 on DAY."""
    [child] = await many_children(world, room.guardian, 1)
    body = booking_body(room.institution_id, room.room_id, child, "11:00", "13:00")
    booked = await world.post("/v1/bookings", body, room.guardian)
    assert booked.status_code == 201, booked.text
    record = {"kind": "admission", "examined_on": EXAMINED, "passed": True,
              "vaccination_checked": True}  # fmt: skip
    examined = await world.post(f"/v1/children/{child}/health-records", record, room.admin)
    assert examined.status_code == 201, examined.text
    return child


async def test_an_early_arrival_into_a_full_room_is_refused_until_an_admin_overrides_it_then_alarms(
    world: World,
):
    room = await attending_room(world, capacity=1)  # one place: 09:00–11:00 is booked
    assert (await check_in(world, room, room.children[0])).status_code == 201
    early = await _booked_at_eleven(world, room)
    world.runtime.clock.at = NINE + timedelta(minutes=90)  # type: ignore[attr-defined]
    [shown] = (await _live(world, room))["rooms"]
    assert shown["expected_next_hour"] == 1 and shown["headroom"] == 0
    full = await check_in(world, room, early, minutes=90)  # within the 30 minutes' tolerance
    assert full.status_code == 409 and full.json()["type"] == "/problems/room-full"
    assert full.json()["field"] == "room_id"
    assert full.json()["params"] == {"minute": "10:30", "limit": 1}
    overridden = await check_in(world, room, early, minutes=90, who=room.admin,
                                override_reason="上午班家长晚到十分钟")  # fmt: skip
    assert overridden.status_code == 201, overridden.text
    [shown] = (await _live(world, room))["rooms"]
    assert shown["alarm"] == "size" and shown["ratio_ok"]  # one carer for two: ratio holds
    assert len(shown["children"]) == 2 and shown["headroom"] == 0
    world.runtime.clock.at = NINE + timedelta(minutes=95)  # type: ignore[attr-defined]
    collected = await world.post("/v1/attendance/check-outs", check_out_body(
        room, room.children[0], room.guardian.phone, minutes=95), room.caregiver)  # fmt: skip
    assert collected.status_code == 201, collected.text
    assert (await _live(world, room))["rooms"][0]["alarm"] is None


async def test_a_child_away_over_three_months_is_refused_until_re_examined(world: World):
    room = await attending_room(world, examined=False)
    child = room.children[0]
    record = {"kind": "admission", "examined_on": (AWAY - timedelta(days=30)).date().isoformat(),
              "passed": True, "vaccination_checked": True}  # fmt: skip
    admitted = await world.post(f"/v1/children/{child}/health-records", record, room.admin)
    assert admitted.status_code == 201, admitted.text
    away_day = AWAY.date().isoformat()
    world.runtime.clock.at = AWAY - timedelta(days=1)  # type: ignore[attr-defined]
    body = {**booking_body(room.institution_id, room.room_id, child), "date": away_day}
    booked = await world.post("/v1/bookings", body, room.guardian)  # booked the day before
    assert booked.status_code == 201, booked.text
    world.runtime.clock.at = AWAY  # type: ignore[attr-defined]
    then = {"room_id": str(room.room_id), "at": AWAY.isoformat()}
    assert (await world.post("/v1/staff/clock-ins", then, room.caregiver)).status_code == 201
    back_then = await world.post("/v1/attendance/check-ins", {
        "child_id": str(child), "room_id": str(room.room_id), "at": AWAY.isoformat(),
        "health_check": {"temperature_c": 36.6}, "method": "manual"}, room.caregiver)  # fmt: skip
    assert back_then.status_code == 201, back_then.text

    world.runtime.clock.at = NINE  # type: ignore[attr-defined]
    refused = await check_in(world, room, child)
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"] == "/problems/re-examination-required"
    assert refused.json()["params"]["since"] == away_day
    re_examined = {"kind": "re_examination", "examined_on": EXAMINED, "passed": True,
                   "vaccination_checked": True}  # fmt: skip
    recorded = await world.post(f"/v1/children/{child}/health-records", re_examined, room.admin)
    assert recorded.status_code == 201, recorded.text
    assert (await check_in(world, room, child)).status_code == 201


async def test_a_clock_out_before_the_clock_in_is_refused_by_field_and_writes_nothing(world: World):
    room = await attending_room(world)  # the caregiver clocked in at 09:00
    before = await world.runtime.pool.fetchval("SELECT count(*) FROM events")
    early = await world.post("/v1/staff/clock-outs",
                             {"room_id": str(room.room_id), "at": at(-10)}, room.caregiver)  # fmt: skip
    assert early.status_code == 422
    assert (early.json()["type"], early.json()["field"]) == ("/problems/invalid-value", "at")
    assert await world.runtime.pool.fetchval("SELECT count(*) FROM events") == before
    assert len((await _live(world, room))["rooms"][0]["staff"]) == 1


CALENDAR_ENDS = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"]  # no local day


@pytest.mark.parametrize("when", CALENDAR_ENDS)
@pytest.mark.parametrize("path", ["/v1/attendance/check-ins", "/v1/attendance/check-outs",
                                  "/v1/staff/clock-ins", "/v1/attendance/care-logs"])  # fmt: skip
async def test_a_device_time_at_the_calendars_ends_is_refused_naming_it(
    world: World, path: str, when: str
):
    room = await attending_room(world)
    before = await world.runtime.pool.fetchval("SELECT count(*) FROM events")
    body: dict[str, Any] = {
        "/v1/attendance/check-ins": check_in_body(room, room.children[0]),
        "/v1/attendance/check-outs": check_out_body(room, room.children[0], room.guardian.phone),
        "/v1/staff/clock-ins": {"room_id": str(room.room_id)},
        "/v1/attendance/care-logs": {"room_id": str(room.room_id), "kind": "meal",
                                     "meal": "lunch", "amount": "all"},
    }[path]  # fmt: skip
    response = await world.post(path, {**body, "at": when}, room.caregiver)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "at"
    assert await world.runtime.pool.fetchval("SELECT count(*) FROM events") == before


@pytest.mark.parametrize("when", CALENDAR_ENDS)
async def test_a_register_correction_at_the_calendars_ends_is_refused_naming_it(
    world: World, when: str
):
    room = await attending_room(world)
    body = {"child_id": str(room.children[0]), "room_id": str(room.room_id), "arrived_at": when,
            "reason": "补录"}  # fmt: skip
    path = f"/v1/institutions/{room.institution_id}/attendance/corrections"
    response = await world.post(path, body, room.admin)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "arrived_at"
