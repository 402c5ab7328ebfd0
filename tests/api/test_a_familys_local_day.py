"""A family's "today" is its date in China, not the server's (UTC): between 00:00 and 08:00 in
Shanghai the UTC date is still yesterday's."""

from __future__ import annotations

from datetime import timedelta

from tests.api.attendance_world import NINE, attending_room, check_in
from tests.api.days import DAY, day
from tests.api.world import World


async def test_an_admission_check_done_this_morning_can_be_recorded_before_8am_local(
    world: World,
):
    """07:30 in Shanghai on DAY (23:30 UTC the day before): the nurse records the admission
    check she did this morning, then the child is checked in."""
    room = await attending_room(world, examined=False)
    child = room.children[0]
    world.runtime.clock.at = NINE - timedelta(minutes=90)  # type: ignore[attr-defined]  # 07:30
    record = {"kind": "admission", "examined_on": DAY, "passed": True,
              "vaccination_checked": True}  # fmt: skip
    response = await world.post(f"/v1/children/{child}/health-records", record, room.admin)
    assert response.status_code == 201, response.text  # not "in the future"
    world.runtime.clock.at = NINE  # type: ignore[attr-defined]
    assert (await check_in(world, room, child)).status_code == 201


async def test_a_delegate_cannot_be_named_for_yesterday_before_8am_local(world: World):
    """A one-day delegate is named for today or a later day: at 07:30 on DAY, not DAY - 1."""
    room = await attending_room(world)
    child = room.children[0]
    world.runtime.clock.at = NINE - timedelta(minutes=90)  # type: ignore[attr-defined]  # 07:30
    response = await world.post(f"/v1/children/{child}/delegates",
                                {"name": "邻居陈", "phone": "13900002222", "day": day(-1)},
                                room.guardian)  # fmt: skip
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "day"
