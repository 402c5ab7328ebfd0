"""A child's time over HTTP is one real time line across institutions in different zones: a
regular place in Shanghai (UTC+8), Wednesdays 08:30–17:00, holds the child 06:30–15:00 on an
Urumqi (UTC+6) institution's clock, for bookings, for other regular places and for the search."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tests.api.booking_world import (
    FULL_DAY,
    HOURLY,
    bookable_room,
    booking_body,
    child_of,
    enrolment,
    put,
)
from tests.api.days import day
from tests.api.world import Caller, World

WEDNESDAY = day(1)
EARLY = {"opens": "06:00", "closes": "17:30"}  # Urumqi's day starts two hours earlier


async def _urumqi_room(world: World) -> tuple[UUID, UUID]:
    """An institution in Asia/Urumqi with one room offering hourly and full-day care
    Mon–Fri 06:00–17:30 local, at the same place as the Shanghai one (both found nearby)."""
    hours = [{"weekday": d, **EARLY} for d in range(1, 6)]
    institution_id, admin = await world.institution(timezone="Asia/Urumqi", opening_hours=hours)
    room = await world.add_room(institution_id, admin, class_type="toddler", capacity=5)
    room_id = UUID(room.json()["id"])
    base = f"/v1/institutions/{institution_id}/rooms/{room_id}"
    offers = [{**HOURLY, **EARLY}, {**FULL_DAY, **EARLY}]
    await put(world, f"{base}/offers", {"offers": offers}, admin)
    shifts = [{"weekday": d, "starts": "06:00", "ends": "17:30", "staff": 2} for d in range(1, 6)]
    await put(world, f"{base}/roster", {"shifts": shifts}, admin)
    return institution_id, room_id


async def _enrolled_in_shanghai(world: World) -> tuple[Caller, UUID, tuple[UUID, UUID]]:
    """A family whose child has a regular place in Shanghai Mon/Wed/Fri 08:30–17:00: the
    guardian, the child, and the Shanghai institution and room."""
    institution_id, room_id, _ = await bookable_room(world, offers=[HOURLY, FULL_DAY])
    parent = await world.guardian()
    child = await child_of(world, parent)
    enrolled = await world.post("/v1/enrolments", enrolment(institution_id, room_id, child),
                                parent)  # fmt: skip
    assert enrolled.status_code == 201, enrolled.text
    return parent, child, (institution_id, room_id)


async def _book(world: World, parent: Caller, where: tuple[UUID, UUID], child: UUID,
                start: str, end: str) -> Any:  # fmt: skip
    body = {**booking_body(*where, child, start, end), "date": WEDNESDAY}
    return await world.post("/v1/bookings", body, parent)


async def _found(world: World, parent: Caller, child: UUID, start: str, end: str) -> set[UUID]:
    """The institutions the search offers the child on Wednesday from `start` to `end`, each
    on its own clock."""
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    search = await world.client.get(
        "/v1/availability", headers=world.fresh(parent.headers),
        params={"lat": 31.3195, "lng": 120.6290, "radius_km": 5, "date": WEDNESDAY,
                "start": start, "end": end, "child_id": str(child)},
    )  # fmt: skip
    assert search.status_code == 200, search.text
    return {UUID(found["institution_id"]) for found in search.json()}


async def test_an_urumqi_booking_is_refused_inside_a_shanghai_place_and_accepted_after_it(
    world: World,
):
    urumqi = await _urumqi_room(world)
    parent, child, _ = await _enrolled_in_shanghai(world)
    inside = await _book(world, parent, urumqi, child, "06:30", "08:00")  # 08:30–10:00 Shanghai
    after = await _book(world, parent, urumqi, child, "15:30", "17:00")  # 17:30–19:00 Shanghai
    assert inside.status_code == 409, inside.text
    assert inside.json()["type"] == "/problems/child-already-booked"
    assert after.status_code == 201, after.text


async def test_a_shanghai_booking_beside_a_shanghai_place_is_judged_as_before(world: World):
    parent, child, shanghai = await _enrolled_in_shanghai(world)
    inside = await _book(world, parent, shanghai, child, "16:00", "17:00")
    assert inside.status_code == 409, inside.text
    assert (await _book(world, parent, shanghai, child, "17:00", "17:30")).status_code == 201
    thursday = {**booking_body(*shanghai, child, "09:00", "10:00"), "date": day(2)}
    assert (await world.post("/v1/bookings", thursday, parent)).status_code == 201


async def test_an_urumqi_place_meeting_a_shanghai_place_in_real_time_is_refused(world: World):
    urumqi_institution, urumqi_room = await _urumqi_room(world)
    parent, child, _ = await _enrolled_in_shanghai(world)
    early = enrolment(urumqi_institution, urumqi_room, child, weekdays=[3], start="07:00",
                      end="09:00", last_day=day(15))  # fmt: skip
    late = {**early, "start": "15:00", "end": "17:00"}  # 17:00–19:00 in Shanghai: free
    refused = await world.post("/v1/enrolments", early, parent)
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"] == "/problems/child-already-booked"
    assert (await world.post("/v1/enrolments", late, parent)).status_code == 201


async def test_the_search_offers_an_urumqi_room_only_when_the_shanghai_place_leaves_the_child_free(
    world: World,
):
    urumqi_institution, _ = await _urumqi_room(world)
    parent, child, _ = await _enrolled_in_shanghai(world)
    assert await _found(world, parent, child, "06:30", "08:00") == set()  # 08:30 in Shanghai
    assert await _found(world, parent, child, "15:30", "17:00") == {urumqi_institution}


async def test_the_search_offers_each_room_on_its_own_clock_beside_an_urumqi_booking(
    world: World,
):
    """Booked 08:00–10:00 in Urumqi (10:00–12:00 in Shanghai): 10:30–11:30 is free on
    Urumqi's clock and taken on Shanghai's; 12:00–13:00 is free on both."""
    urumqi = await _urumqi_room(world)
    shanghai, _, _ = await bookable_room(world)
    parent = await world.guardian()
    child = await child_of(world, parent)
    booked = await _book(world, parent, urumqi, child, "08:00", "10:00")
    assert booked.status_code == 201, booked.text
    assert await _found(world, parent, child, "10:30", "11:30") == {urumqi[0]}
    assert await _found(world, parent, child, "12:00", "13:00") == {urumqi[0], shanghai}
