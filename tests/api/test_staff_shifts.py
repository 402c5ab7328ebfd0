"""A carer works at one institution at a time: clocked in at one, they cannot clock in at
another (they would count toward two rooms' ratios) until they clock out there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from backend.clock import FrozenClock
from tests.api.attendance_world import NINE, Room, at, attending_room, check_in
from tests.api.booking_world import bookable_room
from tests.api.world import PASSWORD, Caller, World, idem


async def _carer_of_two(world: World) -> tuple[Room, UUID, Caller]:
    """A room whose carer is clocked in since 09:00, a room of another institution that hired
    them too, and their fresh sign-in (on the real clock, which tokens are checked against)."""
    other_id, other_room, other_admin = await bookable_room(world)
    room = await attending_room(world)
    hired = await world.post(
        f"/v1/institutions/{other_id}/staff",
        {"phone": room.caregiver.phone, "display_name": "张老师", "password": PASSWORD,
         "role": "caregiver"}, other_admin,
    )  # fmt: skip
    assert hired.status_code == 201, hired.text
    clock = world.runtime.clock
    assert isinstance(clock, FrozenClock)
    kept, clock.at = clock.at, datetime.now(UTC)
    try:
        carer = await world.login(room.caregiver.phone)
    finally:
        clock.at = kept
    return room, other_room, carer


async def _clock(world: World, action: str, room_id: UUID, minutes: int, who: Caller) -> Any:
    return await world.post(f"/v1/staff/{action}", {"room_id": str(room_id), "at": at(minutes)},
                            who)  # fmt: skip


async def test_a_carer_clocked_in_at_one_institution_cannot_clock_in_at_another(world: World):
    room, other_room, carer = await _carer_of_two(world)
    world.runtime.clock.at = NINE + timedelta(minutes=5)  # type: ignore[attr-defined]

    both = await _clock(world, "clock-ins", other_room, 1, carer)
    assert both.status_code == 409, both.text
    assert both.json()["type"] == "/problems/clocked-in-elsewhere"
    assert both.json()["params"]["institution_id"] == str(room.institution_id)

    assert (await _clock(world, "clock-outs", room.room_id, 2, carer)).status_code == 201
    moved_on = await _clock(world, "clock-ins", other_room, 3, carer)
    assert moved_on.status_code == 201, moved_on.text


async def test_a_replayed_clock_in_from_before_the_shift_elsewhere_began_stands(world: World):
    _, other_room, carer = await _carer_of_two(world)  # clocked in at the first at 09:00
    early = await _clock(world, "clock-ins", other_room, -60, carer)  # 08:00, queued offline
    assert early.status_code == 201, early.text
    assert (await _clock(world, "clock-outs", other_room, -5, carer)).status_code == 201


async def test_a_clock_in_replayed_late_inside_a_shift_elsewhere_that_ended_is_refused(
    world: World,
):
    """On a shift at the first institution 09:00–09:30; their phone replays at 09:40 a clock-in
    at the other made offline at 09:10: they would have counted toward two rooms' ratios."""
    room, other_room, carer = await _carer_of_two(world)  # clocked in at the first at 09:00
    world.runtime.clock.at = NINE + timedelta(minutes=40)  # type: ignore[attr-defined]
    assert (await _clock(world, "clock-outs", room.room_id, 30, carer)).status_code == 201

    late = await _clock(world, "clock-ins", other_room, 10, carer)
    assert late.status_code == 409, late.text
    assert late.json()["type"] == "/problems/clocked-in-elsewhere"
    assert late.json()["params"] == {
        "institution_id": str(room.institution_id), "since": at(0), "until": at(30),
    }  # fmt: skip
    after_it = await _clock(world, "clock-ins", other_room, 30, carer)
    assert after_it.status_code == 201, after_it.text


async def _removed_then_rooms_shown(world: World, room: Room, carer: Caller) -> list[dict]:
    """The admin removes `carer` from the staff; the live view's rooms after it."""
    removed = await world.client.delete(
        f"/v1/institutions/{room.institution_id}/staff/{carer.account_id}",
        headers={**world.fresh(room.admin.headers), **idem()},
    )
    assert world.saw(removed).status_code == 200, removed.text
    live = await world.client.get(
        f"/v1/institutions/{room.institution_id}/occupancy/live",
        headers=world.fresh(room.admin.headers),
    )
    return list(live.json()["rooms"])


async def test_a_carer_removed_while_clocked_in_leaves_the_room_s_ratio_and_may_work_elsewhere(
    world: World,
):
    room, other_room, carer = await _carer_of_two(world)  # clocked in at the first at 09:00
    assert (await check_in(world, room, room.children[0])).status_code == 201
    world.runtime.clock.at = NINE + timedelta(minutes=5)  # type: ignore[attr-defined]
    [shown] = await _removed_then_rooms_shown(world, room, carer)
    assert shown["staff"] == [] and shown["alarm"] == "ratio"  # one child, nobody with it
    elsewhere = await _clock(world, "clock-ins", other_room, 6, carer)  # their shift ended
    assert elsewhere.status_code == 201, elsewhere.text


async def test_a_carer_whose_device_clock_ran_ahead_is_removed_at_their_clock_in(world: World):
    """The carer's tablet clocked them in at 09:00 while the server's clock read 08:59: their
    removal a moment later clocks them out at 09:00 rather than refusing a clock-out before
    the clock-in."""
    room, _, carer = await _carer_of_two(world)  # clocked in at the first at 09:00
    world.runtime.clock.at = NINE - timedelta(minutes=1)  # type: ignore[attr-defined]
    [shown] = await _removed_then_rooms_shown(world, room, carer)
    assert shown["staff"] == []
