"""The attendance audit trail: every check-in an admin let past the ratio and every correction of
the register, one entry per act with who, when and why; for the institution's admins only."""

from __future__ import annotations

from typing import Any

from tests.api.attendance_world import Room, at, attending_room, caregiver_of, check_in
from tests.api.days import DAY
from tests.api.world import Caller, World


def _audit(room: Room, query: str = f"since={DAY}") -> str:
    return f"/v1/institutions/{room.institution_id}/attendance/audit?{query}"


async def _read(world: World, room: Room, who: Caller, query: str = f"since={DAY}") -> Any:
    return await world.client.get(_audit(room, query), headers=world.fresh(who.headers))


async def test_the_audit_trail_keeps_each_override_and_each_correction_with_who_and_why(
    world: World,
):
    room = await attending_room(world, children=6)
    for child in room.children[:5]:  # 托小班 1:5 with one carer clocked in
        assert (await check_in(world, room, child)).status_code == 201
    overridden = await check_in(world, room, room.children[5], who=room.admin,
                                override_reason="第二位老师在路上")  # fmt: skip
    assert overridden.status_code == 201, overridden.text
    corrections = f"/v1/institutions/{room.institution_id}/attendance/corrections"
    first = room.children[0]
    for replaces, arrived in ((0, -5), (-5, -10)):  # corrected twice: both acts are kept
        body = {"child_id": str(first), "room_id": str(room.room_id), "arrived_at": at(arrived),
                "replaces": at(replaces), "reason": "签到表时间有误"}  # fmt: skip
        response = await world.post(corrections, body, room.admin)
        assert response.status_code == 201, response.text

    response = await _read(world, room, room.admin)
    assert response.status_code == 200, response.text
    trail = response.json()
    assert [(e["time"], e["kind"], e["kind_zh"], e["child_id"]) for e in trail] == [
        ("08:50", "register_correction", "考勤更正", str(first)),
        ("08:55", "register_correction", "考勤更正", str(first)),
        ("09:00", "ratio_override", "超额入园", str(room.children[5])),
    ]
    assert trail[2]["detail"] == "第二位老师在路上"
    assert trail[0]["detail"] == "更正（原入园08:55）：入园08:50；原因：签到表时间有误"
    assert {e["date"] for e in trail} == {DAY} and {e["child"] for e in trail} == {"小宝"}
    assert all(e["by"] and e["room"] and e["recorded_at"] for e in trail)
    later = await _read(world, room, room.admin, f"since={DAY[:8]}{int(DAY[8:]) + 1:02d}")
    assert later.json() == []


async def test_only_the_institutions_admins_read_its_audit_trail(world: World):
    other_id, other_admin = await world.institution()
    other_carer = await caregiver_of(world, other_id, other_admin)
    regulator = await world.regulator()
    room = await attending_room(world)
    outsiders = [room.caregiver, other_admin, other_carer, room.guardian, regulator]
    for outsider in outsiders:
        assert (await _read(world, room, outsider)).status_code == 403, outsider
    assert (await _read(world, room, room.admin)).status_code == 200


async def test_a_backwards_or_too_long_range_is_refused_by_field(world: World):
    room = await attending_room(world)
    backwards = await _read(world, room, room.admin, f"since={DAY}&until=2020-01-01")
    assert backwards.status_code == 422 and backwards.json()["field"] == "until"
    too_long = await _read(world, room, room.admin, "since=2020-01-01&until=2020-06-01")
    assert too_long.status_code == 422 and too_long.json()["field"] == "until"
    no_start = await world.client.get(_audit(room, ""), headers=world.fresh(room.admin.headers))
    assert no_start.status_code == 400 and "since" in no_start.text
