"""After midnight in a room open round the clock, a carer's clock-in and clock-out and care for
all present see the room as it is: the child who stayed on from DAY with its carer of DAY, and
whoever came on the next day. A carer's leaving is judged on who stays (on both days' records),
a room's alarm stands on the record that raised it until the room is back in bounds, and care
reaches each child on the day of its own stay (ADR 0007)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tests.api.days import day
from tests.api.night_world import (
    STAYING_ON,
    NightRooms,
    booked_children,
    check_in,
    clock,
    clock_at,
    local_at,
    night_carer,
    night_rooms,
    picked_up,
)
from tests.api.room_moves_world import read
from tests.api.world import World

CARE = "/v1/attendance/care-logs"


async def _first_room(world: World, rooms: NightRooms) -> dict[str, Any]:
    live = await read(world, f"/v1/institutions/{rooms.institution_id}/occupancy/live", rooms.admin)
    [room] = [r for r in live["rooms"] if r["room_id"] == str(rooms.first)]
    return dict(room)


async def _lines(world: World, rooms: NightRooms, child: UUID, date: str) -> list[tuple[str, str]]:
    """The child's day as its guardian sees it: (local time, kind) of each line."""
    seen = await read(world, f"/v1/children/{child}/days/{date}", rooms.guardian)
    return [(e["time"], e["kind"]) for e in seen["entries"]]


async def test_the_evening_carer_leaving_after_midnight_hands_the_child_to_the_night_carer(
    world: World,
):
    """The night carer clocks in at 00:00 (the new day's record), the evening's carer clocks
    out at 00:05 (its own day's record): the child who stayed on is not alone, so no alarm.
    When the night carer leaves at 00:20 too, it is."""
    rooms = await night_rooms(world, STAYING_ON, second_carer_in=False)
    carer = await night_carer(world, rooms)
    clock_at(world, 300)
    await clock(world, rooms, carer, 0, 300)
    clock_at(world, 305)
    await clock(world, rooms, rooms.carer, 0, 305, out=True)
    room = await _first_room(world, rooms)
    assert [s["account_id"] for s in room["staff"]] == [str(carer.account_id)]
    assert (room["ratio_ok"], room["alarm"]) == (True, None)
    clock_at(world, 320)
    await clock(world, rooms, carer, 0, 320, out=True)
    room = await _first_room(world, rooms)
    assert (room["ratio_ok"], room["alarm"]) == (False, "ratio")


async def test_the_night_carer_clocking_in_clears_the_alarm_the_evening_carer_left(world: World):
    """The evening's carer leaves at 00:05, before the night carer comes: the alarm, on DAY's
    record. The night carer's clock-in at 00:10, on the next day's, puts the room back in
    bounds, and the alarm goes."""
    rooms = await night_rooms(world, STAYING_ON, second_carer_in=False)
    carer = await night_carer(world, rooms)
    clock_at(world, 305)
    await clock(world, rooms, rooms.carer, 0, 305, out=True)
    assert (await _first_room(world, rooms))["alarm"] == "ratio"
    clock_at(world, 310)
    await clock(world, rooms, carer, 0, 310)
    room = await _first_room(world, rooms)
    assert (room["ratio_ok"], room["alarm"]) == (True, None)


async def test_a_pick_up_after_midnight_leaves_the_room_to_the_night_carer(world: World):
    """Two children stayed on from DAY; the night carer came at 00:00 and the evening's carer
    left at 00:05. The first child's pick-up at 01:00 (on DAY's record) leaves the other with
    the night carer: no alarm."""
    rooms = await night_rooms(world, STAYING_ON, second_carer_in=False)
    [other] = await booked_children(world, rooms, 1, [(0, 0, "19:00", "24:00")])
    carer = await night_carer(world, rooms)
    assert (await check_in(world, rooms, other, 0, local_at(0))).status_code == 201
    clock_at(world, 300)
    await clock(world, rooms, carer, 0, 300)
    clock_at(world, 305)
    await clock(world, rooms, rooms.carer, 0, 305, out=True)
    await picked_up(world, rooms, 360, carer)
    room = await _first_room(world, rooms)
    assert [c["child_id"] for c in room["children"]] == [str(other)]
    assert (room["ratio_ok"], room["alarm"]) == (True, None)


async def test_care_for_all_present_after_midnight_reaches_the_child_who_stayed_on(world: World):
    """At 00:40 the room holds the child who stayed on from DAY and one who came at 00:30:
    an observation for all present is in each child's day, on the day of its own stay."""
    rooms = await night_rooms(world, STAYING_ON, second_carer_in=False)
    [late] = await booked_children(world, rooms, 1, [(0, 1, "00:30", "02:00")])
    clock_at(world, 330)
    assert (await check_in(world, rooms, late, 0, local_at(330))).status_code == 201
    clock_at(world, 340)
    body = {"room_id": str(rooms.first), "kind": "observation", "note": "夜间巡查：安睡",
            "at": local_at(340).isoformat()}  # fmt: skip
    logged = await world.post(CARE, body, rooms.carer)
    assert logged.status_code == 201, logged.text
    assert ("00:40", "observation") in await _lines(world, rooms, rooms.child, day(0))
    assert ("00:40", "observation") in await _lines(world, rooms, late, day(1))
    assert ("00:40", "observation") not in await _lines(world, rooms, rooms.child, day(1))


async def test_a_nap_begun_before_midnight_is_checked_and_ended_after_it(world: World):
    """Naps begin for the room at 23:00 on DAY; the checks at 00:10 and the end at 00:30 are
    for the whole room too, and reach the child asleep since 23:00."""
    rooms = await night_rooms(world, STAYING_ON, second_carer_in=False)
    for kind, minutes in (("nap_start", 240), ("nap_check", 310), ("nap_end", 330)):
        clock_at(world, minutes)
        body = {"room_id": str(rooms.first), "kind": kind,
                "at": local_at(minutes).isoformat()}  # fmt: skip
        logged = await world.post(CARE, body, rooms.carer)
        assert logged.status_code == 201, logged.text
    lines = await _lines(world, rooms, rooms.child, day(0))
    assert [line for line in lines if line[1].startswith("nap")] == [
        ("23:00", "nap_start"), ("00:10", "nap_check"), ("00:30", "nap_end"),
    ]  # fmt: skip
    assert (await _first_room(world, rooms))["nap_checks_overdue"] == 0
