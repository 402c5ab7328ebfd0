"""Drop-off and pick-up over HTTP: every precondition refused by name, the booking following the
child, the guardian told, and the room's live state and register agreeing with what happened."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from tests.api.attendance_world import (
    NINE,
    WELL,
    arrival_there,
    at,
    attending_room,
    booked_here_then_elsewhere,
    check_in,
    check_in_body,
    check_out_body,
)
from tests.api.days import DAY, local
from tests.api.world import World


async def _get(world: World, path: str, who) -> dict:
    response = await world.client.get(path, headers=world.fresh(who.headers))
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_booked_child_is_checked_in_and_collected_and_its_booking_follows(world: World):
    room = await attending_room(world)
    [child], [booking] = room.children, room.bookings
    response = await check_in(world, room, child, minutes=-3)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "checked_in"
    assert response.json()["booking_id"] == booking
    assert response.json()["local_time"] == "08:57"

    live = await _get(world, f"/v1/institutions/{room.institution_id}/occupancy/live", room.admin)
    [shown] = live["rooms"]
    assert shown["class_name"] == "托小班"
    assert [c["child_id"] for c in shown["children"]] == [str(child)]
    assert shown["children"][0]["since"] == "08:57"
    assert len(shown["staff"]) == 1 and shown["ratio_ok"] and shown["headroom"] == 14

    world.runtime.clock.at = NINE + timedelta(hours=1)  # type: ignore[attr-defined]
    response = await world.post("/v1/attendance/check-outs",
                          check_out_body(room, child, room.guardian.phone, minutes=55),
                          room.caregiver)  # fmt: skip
    assert response.status_code == 201, response.text
    view = await _get(world, f"/v1/bookings/{booking}", room.guardian)
    assert [h["status"] for h in view["history"]][-2:] == ["checked_in", "completed"]
    live = await _get(world, f"/v1/institutions/{room.institution_id}/occupancy/live", room.admin)
    assert live["children_present"] == 0

    notes = await _get(world, "/v1/notifications", room.guardian)
    kinds = [n["kind"] for n in notes]
    assert kinds[:2] == ["check_out", "check_in"]
    assert "08:57入园" in notes[1]["body"] and "09:55由李妈妈（监护人）接走" in notes[0]["body"]


async def test_a_child_without_an_admission_health_check_is_refused_by_name(world: World):
    room = await attending_room(world, examined=False)
    response = await check_in(world, room, room.children[0])
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/admission-health-record-missing"


async def test_a_child_with_no_booking_covering_now_is_refused(world: World):
    room = await attending_room(world)
    world.runtime.clock.at = NINE + timedelta(hours=3)  # type: ignore[attr-defined]
    response = await check_in(world, room, room.children[0], minutes=180)  # 12:00, booked 9–11
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/no-care-today"
    nobody = await check_in(world, room, uuid4(), minutes=180)
    assert nobody.status_code == 404


async def test_the_guardians_rotating_code_checks_the_child_in_only_once(world: World):
    room = await attending_room(world)
    child = room.children[0]
    shown = await _get(world, f"/v1/children/{child}/attendance-code", room.guardian)
    assert shown["qr"].endswith(shown["code"]) and len(shown["code"]) == 6
    wrong = await check_in(world, room, child, method="app_code", code="000000")
    if shown["code"] != "000000":
        assert wrong.status_code == 422 and wrong.json()["type"] == "/problems/code-invalid"
    response = await check_in(world, room, child, method="app_code", code=shown["qr"])
    assert response.status_code == 201, response.text
    world.runtime.clock.at = NINE + timedelta(minutes=1)  # type: ignore[attr-defined]
    await world.post("/v1/attendance/check-outs",
               check_out_body(room, child, room.guardian.phone, minutes=1), room.caregiver)  # fmt: skip
    again = await check_in(world, room, child, minutes=1, method="app_code", code=shown["code"])
    assert again.status_code == 409 and again.json()["type"] == "/problems/code-already-used"


async def test_a_refused_morning_check_turns_the_child_away_and_tells_the_guardian_when(
    world: World,
):
    room = await attending_room(world)
    fever = {"temperature_c": 38.2, "look_ok": False, "observations": "精神差"}
    undecided = await check_in(world, room, room.children[0], health_check=fever)
    assert undecided.status_code == 422
    assert undecided.json()["type"] == "/problems/abnormal-check-needs-decision"
    response = await check_in(world, room, room.children[0], health_check=fever,
                              abnormal_outcome="refuse", note="建议就医")  # fmt: skip
    assert response.status_code == 201 and response.json()["status"] == "turned_away"
    notes = await _get(world, "/v1/notifications", room.guardian)
    assert notes[0]["kind"] == "turned_away"
    assert notes[0]["body"].startswith("09:00晨检异常：体温38.2℃、二看异常")
    live = await _get(world, f"/v1/institutions/{room.institution_id}/occupancy/live", room.admin)
    assert live["children_present"] == 0


async def test_a_temperature_that_rounds_to_a_fever_is_classed_as_the_fever_it_reads(
    world: World,
):
    room = await attending_room(world)
    child = room.children[0]
    undecided = await check_in(world, room, child, health_check={"temperature_c": 37.26})
    assert undecided.status_code == 422, undecided.text
    assert "体温37.3℃" in undecided.json()["detail"]
    admitted = await check_in(world, room, child, health_check={"temperature_c": 37.26},
                              abnormal_outcome="admit_with_note", note="已告知家长")  # fmt: skip
    assert admitted.status_code == 201, admitted.text
    [row] = await _get(world, f"/v1/rooms/{room.room_id}/attendance?date={DAY}", room.admin)
    assert row["temperature_c"] == 37.3 and row["morning_check"] == "异常：体温37.3℃"


async def test_a_temperature_below_36_needs_the_carers_decision_like_a_fever(world: World):
    room = await attending_room(world)
    child = room.children[0]
    cold = {"temperature_c": 35.4}
    undecided = await check_in(world, room, child, health_check=cold)
    assert undecided.status_code == 422, undecided.text
    assert undecided.json()["type"] == "/problems/abnormal-check-needs-decision"
    refused = await check_in(world, room, child, health_check=cold, abnormal_outcome="refuse",
                             note="请家长复测")  # fmt: skip
    assert refused.status_code == 201 and refused.json()["status"] == "turned_away"
    notes = await _get(world, "/v1/notifications", room.guardian)
    assert notes[0]["kind"] == "turned_away"
    assert notes[0]["body"].startswith("09:00晨检异常：体温偏低35.4℃")
    [row] = await _get(world, f"/v1/rooms/{room.room_id}/attendance?date={DAY}", room.admin)
    assert row["morning_check"] == "异常：体温偏低35.4℃"


async def test_a_check_in_past_the_ratio_is_refused_unless_an_admin_overrides_with_a_reason(
    world: World,
):
    room = await attending_room(world, children=6)
    for child in room.children[:5]:  # 托小班 1:5 with one carer clocked in
        assert (await check_in(world, room, child)).status_code == 201
    refused = await check_in(world, room, room.children[5])
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/ratio-exceeded"
    assert refused.json()["params"]["minute"] == "09:00"
    not_admin = await check_in(world, room, room.children[5], override_reason="家长急事")
    assert not_admin.status_code == 403
    overridden = await check_in(world, room, room.children[5], who=room.admin,
                                override_reason="第二位老师在路上")  # fmt: skip
    assert overridden.status_code == 201, overridden.text
    live = await _get(world, f"/v1/institutions/{room.institution_id}/occupancy/live", room.admin)
    [shown] = live["rooms"]
    assert shown["alarm"] == "ratio" and not shown["ratio_ok"] and shown["required_staff"] == 2
    register = await _get(world, f"/v1/rooms/{room.room_id}/attendance?date={DAY}", room.admin)
    assert [r["override_reason"] for r in register].count("第二位老师在路上") == 1

    await world.post("/v1/staff/clock-ins", {"room_id": str(room.room_id), "at": at(1)},
               room.admin)  # fmt: skip
    live = await _get(world, f"/v1/institutions/{room.institution_id}/occupancy/live", room.admin)
    assert live["rooms"][0]["alarm"] is None and live["rooms"][0]["ratio_ok"]


async def test_only_allowed_adults_collect_and_a_second_pick_up_is_a_409(world: World):
    room = await attending_room(world)
    child = room.children[0]
    await check_in(world, room, child)
    world.runtime.clock.at = NINE + timedelta(hours=1)  # type: ignore[attr-defined]
    await world.post(f"/v1/children/{child}/blocked-collectors",
               {"name": "赵某", "phone": "13900001111", "reason": "法院禁令"}, room.guardian)  # fmt: skip
    await world.post(f"/v1/children/{child}/delegates",
               {"name": "邻居陈", "phone": "13900002222", "day": DAY}, room.guardian)  # fmt: skip
    path = "/v1/attendance/check-outs"
    blocked = await world.post(path, check_out_body(room, child, "13900001111", 30), room.caregiver)
    assert blocked.status_code == 409 and blocked.json()["type"] == "/problems/collector-blocked"
    stranger = await world.post(
        path, check_out_body(room, child, "13900003333", 30), room.caregiver
    )
    assert stranger.json()["type"] == "/problems/collector-not-authorised"
    by_id_card = {"name": "陈明", "phone": "13900002222", "identity_check": "id_card"}
    delegate = await world.post(
        path, check_out_body(room, child, "13900002222", 30, collector=by_id_card),
        room.caregiver,
    )  # fmt: skip
    assert delegate.status_code == 201, delegate.text
    twice = await world.post(path, check_out_body(room, child, "13900002222", 31), room.caregiver)
    assert twice.status_code == 409 and twice.json()["type"] == "/problems/not-checked-in"
    register = await _get(world, f"/v1/rooms/{room.room_id}/attendance?date={DAY}", room.admin)
    # the name the guardian gave, and beside it the one the carer wrote from the ID card
    assert register[0]["collector"] == "邻居陈（登记：陈明）（当日代接人）"
    assert register[0]["identity_check"] == "身份证"


async def test_bad_attendance_input_names_the_field_and_writes_nothing(world: World):
    room = await attending_room(world)
    child = room.children[0]
    future = await check_in(world, room, child, minutes=30)
    assert future.status_code == 422 and future.json()["field"] == "at"
    stale = await check_in(world, room, child, minutes=-25 * 60)
    assert stale.status_code == 422 and stale.json()["field"] == "at"
    assert "more than 24 h ago" in stale.json()["detail"]
    hot = await check_in(world, room, child, health_check={"temperature_c": 50})
    assert hot.status_code == 400 and "temperature_c" in hot.json()["detail"]
    naive = await world.post("/v1/attendance/check-ins",
                       {**check_in_body(room, child), "at": local("09:00")}, room.caregiver)  # fmt: skip
    assert naive.status_code == 400 and "at" in naive.json()["detail"]
    unknown = await world.post("/v1/attendance/check-ins",
                         {"child_id": str(child), "room_id": str(uuid4()), "at": at(),
                          "health_check": WELL}, room.caregiver)  # fmt: skip
    assert unknown.status_code == 404 and unknown.json()["field"] == "room_id"
    events = await world.runtime.pool.fetchval(
        "SELECT count(*) FROM events WHERE topic LIKE '%AttendanceDay.Child%'"
    )
    assert events == 0


async def test_a_child_still_checked_in_at_one_institution_is_refused_at_another_until_collected(
    world: World,
):
    room, other_id, other_room, other_carer = await booked_here_then_elsewhere(world)
    [child] = room.children
    assert (await check_in(world, room, child)).status_code == 201
    there = await world.post("/v1/attendance/check-ins", arrival_there(child, other_room, 90),
                             other_carer)  # fmt: skip
    assert there.status_code == 409 and there.json()["type"] == "/problems/present-elsewhere"
    assert there.json()["params"]["institution_id"] == str(room.institution_id)
    world.runtime.clock.at = NINE + timedelta(minutes=95)  # type: ignore[attr-defined]
    collected = await world.post("/v1/attendance/check-outs",
                                 check_out_body(room, child, room.guardian.phone, 95),
                                 room.caregiver)  # fmt: skip
    assert collected.status_code == 201, collected.text
    there = await world.post("/v1/attendance/check-ins", arrival_there(child, other_room, 95),
                             other_carer)  # fmt: skip
    assert there.status_code == 201, there.text
    live = await _get(world, f"/v1/institutions/{room.institution_id}/occupancy/live", room.admin)
    assert live["children_present"] == 0
    live = await _get(world, f"/v1/institutions/{other_id}/occupancy/live", other_carer)
    assert live["children_present"] == 1


async def test_a_guardians_code_used_at_one_institution_is_refused_at_another(world: World):
    room, _, other_room, other_carer = await booked_here_then_elsewhere(world)
    [child] = room.children
    assert (await check_in(world, room, child)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(minutes=100)  # type: ignore[attr-defined]
    path = f"/v1/children/{child}/attendance-code"
    shown = await _get(world, path, room.guardian)
    by_code = {"name": "李妈妈", "phone": room.guardian.phone, "identity_check": "app_code"}
    out = check_out_body(room, child, room.guardian.phone, 100, collector=by_code,
                         code=shown["code"])  # fmt: skip
    assert (await world.post("/v1/attendance/check-outs", out, room.caregiver)).status_code == 201
    there = arrival_there(child, other_room, 100, method="app_code", code=shown["code"])
    again = await world.post("/v1/attendance/check-ins", there, other_carer)
    assert again.status_code == 409 and again.json()["type"] == "/problems/code-already-used"
    world.runtime.clock.at = NINE + timedelta(minutes=104)  # type: ignore[attr-defined]
    fresh = await _get(world, path, room.guardian)
    there = arrival_there(child, other_room, 104, method="app_code", code=fresh["code"])
    assert (await world.post("/v1/attendance/check-ins", there, other_carer)).status_code == 201
