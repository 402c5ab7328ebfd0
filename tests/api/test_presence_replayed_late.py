"""A check-in an offline tablet replays late is judged against where the child was at its time,
also at an institution the child has since been collected from (docs/adr/0007)."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from tests.api.attendance_world import (
    NINE,
    arrival_there,
    at,
    booked_here_then_elsewhere,
    check_in_body,
    check_out_body,
)
from tests.api.world import World

CHECK_INS = "/v1/attendance/check-ins"


async def test_a_check_in_replayed_late_inside_a_stay_elsewhere_that_ended_is_refused(world: World):
    """Checked in here 09:00–11:30; the other institution's tablet replays at 11:50 the check-in
    it recorded offline at 10:45: the child would have been in two places."""
    room, _, other_room, other_carer = await booked_here_then_elsewhere(world)  # 10:30 now
    [child] = room.children
    here_key = uuid4().hex
    arrived = await world.post(CHECK_INS, check_in_body(room, child), room.caregiver, here_key)
    assert arrived.status_code == 201, arrived.text
    world.runtime.clock.at = NINE + timedelta(minutes=150)  # type: ignore[attr-defined]
    collected = await world.post("/v1/attendance/check-outs",
                                 check_out_body(room, child, room.guardian.phone, 150),
                                 room.caregiver)  # fmt: skip
    assert collected.status_code == 201, collected.text
    world.runtime.clock.at = NINE + timedelta(minutes=170)  # type: ignore[attr-defined]

    late_key = uuid4().hex
    for _ in range(2):  # its retry with the same key is decided again, alike
        late = await world.post(CHECK_INS, arrival_there(child, other_room, 105), other_carer,
                                late_key)  # fmt: skip
        assert late.status_code == 409, late.text
        assert late.json()["type"] == "/problems/present-elsewhere"
        assert late.json()["params"] == {
            "institution_id": str(room.institution_id), "since": at(0), "until": at(150),
        }  # fmt: skip
    a_minute_early = await world.post(CHECK_INS, arrival_there(child, other_room, 149),
                                      other_carer)  # fmt: skip
    assert a_minute_early.status_code == 409, a_minute_early.text

    at_the_pick_up = await world.post(CHECK_INS, arrival_there(child, other_room, 150),
                                      other_carer)  # fmt: skip
    assert at_the_pick_up.status_code == 201, at_the_pick_up.text
    again = await world.post(CHECK_INS, check_in_body(room, child), room.caregiver, here_key)
    assert again.status_code == 201 and again.json()["replayed"] is True
    assert {**again.json(), "replayed": False} == arrived.json()
