"""The waitlist: a full room's freed place is offered to the first family in line, held for a
while, and passed on to the next when not taken."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from backend.clock import FrozenClock
from backend.scheduler import expire_lapsed_offers
from tests.api.booking_world import (
    DAY,
    FULL_DAY,
    HOURLY,
    bookable_room,
    booking_body,
    child_of,
    enrolment,
    found_by_search,
    put,
)
from tests.api.days import NINE, day
from tests.api.waitlist_world import job_offers
from tests.api.world import World, idem


async def _post(world: World, path: str, body: dict | None, who) -> object:
    return world.saw(
        await world.client.post(path, json=body, headers={**world.fresh(who.headers), **idem()})
    )


async def _entries(world: World, who) -> list[dict]:
    response = await world.client.get("/v1/waitlist", headers=world.fresh(who.headers))
    return list(response.json())


async def test_a_freed_place_is_offered_in_line_held_and_taken(world: World):
    institution_id, room_id, admin = await bookable_room(world, capacity=1, staff=1)
    a, b, c, d = [await world.guardian() for _ in range(4)]
    ca, cb, cc, cd = [await child_of(world, g) for g in (a, b, c, d)]
    first = await _post(world, "/v1/bookings", booking_body(institution_id, room_id, ca), a)
    assert first.status_code == 201  # type: ignore[attr-defined]
    full = await _post(world, "/v1/bookings", booking_body(institution_id, room_id, cb), b)
    assert full.status_code == 409  # type: ignore[attr-defined]
    for guardian, child in ((b, cb), (c, cc)):
        joined = await _post(
            world, "/v1/waitlist", booking_body(institution_id, room_id, child), guardian
        )
        assert joined.status_code == 201, joined.text  # type: ignore[attr-defined]

    booking_a = first.json()["id"]  # type: ignore[attr-defined]
    await _post(world, f"/v1/bookings/{booking_a}/cancel", {"reason": "改期"}, a)
    [offer] = await _entries(world, b)
    assert offer["status"] == "offered" and offer["offered_until"]
    assert (await _entries(world, c))[0]["status"] == "waiting"
    notes = (await world.client.get("/v1/notifications", headers=world.fresh(b.headers))).json()
    assert notes[0]["kind"] == "waitlist_offer"

    held = await _post(world, "/v1/bookings", booking_body(institution_id, room_id, cd), d)
    assert held.status_code == 409  # type: ignore[attr-defined]  # the place is held for b
    occupancy = await world.client.get(f"/v1/rooms/{room_id}/occupancy?date={DAY}",
                                       headers=world.fresh(admin.headers))  # fmt: skip
    nine_to_eleven = [s for s in occupancy.json()["segments"] if s["start"] == "09:00"]
    assert [(s["booked"], s["held"], s["capacity"]) for s in nine_to_eleven] == [(0, 1, 1)]

    taken = await _post(world, f"/v1/waitlist/{offer['id']}/accept", None, b)
    assert taken.status_code == 201, taken.text  # type: ignore[attr-defined]
    assert taken.json()["status"] == "confirmed"  # type: ignore[attr-defined]
    assert await _entries(world, b) == []


async def test_an_offer_not_taken_in_time_passes_to_the_next_family(world: World):
    institution_id, room_id, _ = await bookable_room(world, capacity=1, staff=1)
    a, b, c = [await world.guardian() for _ in range(3)]
    ca, cb, cc = [await child_of(world, g) for g in (a, b, c)]
    first = await _post(world, "/v1/bookings", booking_body(institution_id, room_id, ca), a)
    for guardian, child in ((b, cb), (c, cc)):
        await _post(world, "/v1/waitlist", booking_body(institution_id, room_id, child), guardian)
    await _post(world, f"/v1/bookings/{first.json()['id']}/cancel", {}, a)  # type: ignore[attr-defined]
    [offer] = await _entries(world, b)
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())

    world.runtime.clock = FrozenClock(at=world.runtime.clock.now() + timedelta(minutes=16))
    assert await expire_lapsed_offers(world.runtime) == 1
    world.last_position = await world.runtime.store.head_position()
    assert await _entries(world, b) == []
    [next_offer] = await _entries(world, c)
    assert next_offer["status"] == "offered"
    late = await _post(world, f"/v1/waitlist/{offer['id']}/accept", None, b)
    assert late.status_code == 404  # type: ignore[attr-defined]


async def test_the_search_shows_a_place_held_by_an_offer_again_once_the_offer_lapses(
    world: World,
):
    institution_id, room_id, _ = await bookable_room(world, capacity=1, staff=1)
    a, b, d = [await world.guardian() for _ in range(3)]
    ca, cb, cd = [await child_of(world, g) for g in (a, b, d)]
    first = await _post(world, "/v1/bookings", booking_body(institution_id, room_id, ca), a)
    await _post(world, "/v1/waitlist", booking_body(institution_id, room_id, cb), b)
    await _post(world, f"/v1/bookings/{first.json()['id']}/cancel", {}, a)  # type: ignore[attr-defined]
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    assert str(institution_id) not in await found_by_search(world, d, cd)  # held for b

    # The offer lapsed at +15 min; the job that expires offers has not run yet.
    world.runtime.clock = FrozenClock(at=world.runtime.clock.now() + timedelta(minutes=16))
    assert str(institution_id) in await found_by_search(world, d, cd)


async def test_joining_the_waitlist_while_a_place_is_free_is_refused(world: World):
    institution_id, room_id, _ = await bookable_room(world)
    guardian = await world.guardian()
    child = await child_of(world, guardian)
    response = await _post(
        world, "/v1/waitlist", booking_body(institution_id, room_id, child), guardian
    )
    assert response.status_code == 409  # type: ignore[attr-defined]
    assert response.json()["type"] == "/problems/place-available"  # type: ignore[attr-defined]


async def test_another_family_cannot_take_or_cancel_my_waitlist_entry(world: World):
    institution_id, room_id, _ = await bookable_room(world, capacity=1, staff=1)
    a, b, stranger = [await world.guardian() for _ in range(3)]
    ca, cb = await child_of(world, a), await child_of(world, b)
    await _post(world, "/v1/bookings", booking_body(institution_id, room_id, ca), a)
    joined = await _post(world, "/v1/waitlist", booking_body(institution_id, room_id, cb), b)
    entry = joined.json()["id"]  # type: ignore[attr-defined]
    taken = await _post(world, f"/v1/waitlist/{entry}/accept", None, stranger)
    assert taken.status_code == 404  # type: ignore[attr-defined]
    left = await world.client.delete(
        f"/v1/waitlist/{entry}", headers={**world.fresh(stranger.headers), **idem()}
    )
    assert left.status_code == 404
    assert (await _entries(world, b))[0]["status"] == "waiting"


async def test_a_child_booked_elsewhere_at_that_time_cannot_wait_for_it(world: World):
    institution_id, room_id, _ = await bookable_room(world, capacity=1, staff=1)
    elsewhere, elsewhere_room, _ = await bookable_room(world)
    a, b = await world.guardian(), await world.guardian()
    ca, cb = await child_of(world, a), await child_of(world, b)
    await _post(world, "/v1/bookings", booking_body(institution_id, room_id, ca), a)  # full
    booked = await _post(world, "/v1/bookings",
                         booking_body(elsewhere, elsewhere_room, cb, "10:00", "12:00"), b)  # fmt: skip
    assert booked.status_code == 201, booked.text  # type: ignore[attr-defined]
    joined = await _post(world, "/v1/waitlist", booking_body(institution_id, room_id, cb), b)
    assert joined.status_code == 409  # type: ignore[attr-defined]
    assert joined.json()["type"] == "/problems/child-already-booked"  # type: ignore[attr-defined]
    assert await _entries(world, b) == []


class Line(NamedTuple):
    """A room of one place, booked 09:00–11:00 on DAY by `first`, and families waiting."""

    institution_id: str
    room_id: str
    admin: Any
    first: Any
    booking: str
    waiting: list[Any]
    children: list[str]


async def _full_room_and_a_line(world: World, families: int) -> Line:
    institution_id, room_id, admin = await bookable_room(world, capacity=1, staff=1)
    first, *waiting = [await world.guardian() for _ in range(families + 1)]
    booked = await _post(world, "/v1/bookings",
                         booking_body(institution_id, room_id, await child_of(world, first)),
                         first)  # fmt: skip
    assert booked.status_code == 201, booked.text  # type: ignore[attr-defined]
    children = []
    for guardian in waiting:
        children.append(await child_of(world, guardian))
        joined = await _post(world, "/v1/waitlist",
                             booking_body(institution_id, room_id, children[-1]), guardian)  # fmt: skip
        assert joined.status_code == 201, joined.text  # type: ignore[attr-defined]
    return Line(str(institution_id), str(room_id), admin, first,
                booked.json()["id"], waiting, children)  # type: ignore[attr-defined]  # fmt: skip


async def test_a_family_booked_elsewhere_meanwhile_is_passed_over_and_keeps_its_place_in_line(
    world: World,
):
    line = await _full_room_and_a_line(world, 2)
    (b, c), cb = line.waiting, line.children[0]
    elsewhere, elsewhere_room, _ = await bookable_room(world)
    booked = await _post(world, "/v1/bookings", booking_body(elsewhere, elsewhere_room, cb), b)
    assert booked.status_code == 201, booked.text  # type: ignore[attr-defined]
    await _post(world, f"/v1/bookings/{line.booking}/cancel", {"reason": "改期"}, line.first)
    assert (await _entries(world, b))[0]["status"] == "waiting"  # cannot take it: not offered
    assert (await _entries(world, c))[0]["status"] == "offered"  # the first who can


async def test_a_place_freed_inside_the_notice_is_held_until_the_visit_starts_and_can_be_taken(
    world: World,
):
    """The hourly offer asks 60 minutes' notice; the place frees at 08:50 for 09:00. The family
    gave notice when it joined: it may take the place, held until 09:00, not the usual 15
    minutes; once the visit has begun, a freed place is offered to no one."""
    line = await _full_room_and_a_line(world, 2)
    b, c = line.waiting
    world.runtime.clock = FrozenClock(at=NINE - timedelta(minutes=10))
    await _post(world, f"/v1/bookings/{line.booking}/cancel", {"reason": "孩子发烧"}, line.first)
    [offer] = await _entries(world, b)
    assert offer["status"] == "offered"
    assert datetime.fromisoformat(offer["offered_until"]) == NINE, offer
    world.runtime.clock = FrozenClock(at=NINE + timedelta(minutes=1))
    assert await expire_lapsed_offers(world.runtime) == 1  # lapsed at the start: c gets none
    world.last_position = await world.runtime.store.head_position()
    assert (await _entries(world, c))[0]["status"] == "waiting"
    late = await _post(world, f"/v1/waitlist/{offer['id']}/accept", None, b)
    assert late.status_code == 404  # type: ignore[attr-defined]


async def test_a_waiting_family_takes_a_place_freed_inside_the_notice(world: World):
    line = await _full_room_and_a_line(world, 1)
    [b] = line.waiting
    world.runtime.clock = FrozenClock(at=NINE - timedelta(minutes=30))
    await _post(world, f"/v1/bookings/{line.booking}/cancel", {"reason": "孩子发烧"}, line.first)
    [offer] = await _entries(world, b)
    taken = await _post(world, f"/v1/waitlist/{offer['id']}/accept", None, b)
    assert taken.status_code == 201, taken.text  # type: ignore[attr-defined]


async def test_either_guardian_of_the_child_sees_takes_or_leaves_its_waitlist_entries_and_is_told(
    world: World,
):
    institution_id, room_id, _ = await bookable_room(world, capacity=1, staff=1)
    holder, mother = await world.guardian(), await world.guardian()
    held_child, child = await child_of(world, holder), await child_of(world, mother)
    first = await _post(world, "/v1/bookings", booking_body(institution_id, room_id, held_child),
                        holder)  # fmt: skip
    afternoon = booking_body(institution_id, room_id, held_child, "13:00", "15:00")
    assert (await _post(world, "/v1/bookings", afternoon, holder)).status_code == 201  # type: ignore[attr-defined]
    added = await world.post(f"/v1/children/{child}/guardians",
                             {"phone": "13612340002", "display_name": "孩子爸爸"}, mother)  # fmt: skip
    assert added.status_code == 201, added.text
    father = await world.guardian("13612340002")
    morning = await _post(world, "/v1/waitlist", booking_body(institution_id, room_id, child),
                          mother)  # fmt: skip
    later = await _post(world, "/v1/waitlist",
                        booking_body(institution_id, room_id, child, "13:00", "15:00"), mother)  # fmt: skip
    assert {e["id"] for e in await _entries(world, father)} == {
        morning.json()["id"], later.json()["id"],  # type: ignore[attr-defined]
    }  # fmt: skip
    left = await world.client.delete(f"/v1/waitlist/{later.json()['id']}",  # type: ignore[attr-defined]
                                     headers={**world.fresh(father.headers), **idem()})  # fmt: skip
    assert left.status_code == 200, left.text
    await _post(world, f"/v1/bookings/{first.json()['id']}/cancel", {}, holder)  # type: ignore[attr-defined]
    [offer] = await _entries(world, father)
    assert offer["status"] == "offered"
    taken = await _post(world, f"/v1/waitlist/{offer['id']}/accept", None, father)
    assert taken.status_code == 201, taken.text  # type: ignore[attr-defined]
    assert await _entries(world, mother) == []
    for parent in (mother, father):  # both are told of the offer and of the booking it became
        notes = await world.client.get("/v1/notifications", headers=world.fresh(parent.headers))
        assert [n["kind"] for n in notes.json()] == ["booked", "waitlist_offer"]
    stranger_notes = await world.client.get("/v1/notifications",
                                            headers=world.fresh(holder.headers))  # fmt: skip
    assert "waitlist_offer" not in {n["kind"] for n in stranger_notes.json()}


async def test_a_closure_ends_the_days_waitlist_and_its_offer_and_tells_the_families(
    world: World,
):
    line = await _full_room_and_a_line(world, 2)
    (b, c), admin = line.waiting, line.admin
    await _post(world, f"/v1/bookings/{line.booking}/cancel", {"reason": "改期"}, line.first)
    [offer] = await _entries(world, b)
    assert offer["status"] == "offered"
    notes = (await world.client.get("/v1/notifications", headers=world.fresh(b.headers))).json()
    assert "T" not in notes[0]["body"] and "请在" in notes[0]["body"]  # a local time, not UTC
    institution_id, room_id = line.institution_id, line.room_id
    closed = await _post(world, f"/v1/institutions/{institution_id}/closures",
                         {"date": DAY, "room_id": room_id, "reason": "停水"}, admin)  # fmt: skip
    assert closed.status_code == 201, closed.text  # type: ignore[attr-defined]
    assert await _entries(world, b) == [] and await _entries(world, c) == []
    for family in (b, c):
        told = (await world.client.get("/v1/notifications", headers=world.fresh(family.headers))
                ).json()  # fmt: skip
        assert told[0]["kind"] == "waitlist_closed" and "停水" in told[0]["body"]
    occupancy = (await world.client.get(f"/v1/rooms/{room_id}/occupancy?date={DAY}",
                                        headers=world.fresh(admin.headers))).json()  # fmt: skip
    assert occupancy["closed"] and max(s["held"] for s in occupancy["segments"]) == 0
    taken = await _post(world, f"/v1/waitlist/{offer['id']}/accept", None, b)
    assert taken.status_code == 404  # type: ignore[attr-defined]


async def test_a_place_freed_by_a_regular_place_ending_early_is_offered_to_the_first_in_line(
    world: World,
):
    """The room's one place is a child's regular place on Tuesdays; a family waits for the
    next Tuesday. The term is ended before it: the job offers them the place, once."""
    institution_id, room_id, _ = await bookable_room(
        world, capacity=1, staff=1, offers=[HOURLY, FULL_DAY]
    )
    regular, waiting = await world.guardian(), await world.guardian()
    child, waiting_child = await child_of(world, regular), await child_of(world, waiting)
    term = enrolment(institution_id, room_id, child, weekdays=[2], last_day=day(14))
    enrolled = await _post(world, "/v1/enrolments", term, regular)
    assert enrolled.status_code == 201, enrolled.text  # type: ignore[attr-defined]
    next_tuesday = {**booking_body(institution_id, room_id, waiting_child), "date": day(7)}
    joined = await _post(world, "/v1/waitlist", next_tuesday, waiting)
    assert joined.status_code == 201, joined.text  # type: ignore[attr-defined]
    assert await job_offers(world) == 1
    assert [e["status"] for e in await _entries(world, waiting)] == ["waiting"]  # still full
    ended = await _post(world, f"/v1/enrolments/{enrolled.json()['id']}/end",  # type: ignore[attr-defined]
                        {"last_day": DAY}, regular)  # fmt: skip
    assert ended.status_code == 200, ended.text  # type: ignore[attr-defined]
    await job_offers(world)
    [offer] = await _entries(world, waiting)
    assert offer["status"] == "offered", offer
    await job_offers(world)  # run again: the offer stands, nothing more is offered
    assert await _entries(world, waiting) == [offer]


async def test_a_place_freed_by_more_carers_rostered_is_offered_and_a_full_room_day_is_left_alone(
    world: World,
):
    """One carer for five toddlers: the sixth family waits. A second carer rostered frees
    ratio places; the job offers one to the family waiting, and writes nothing before."""
    institution_id, room_id, admin = await bookable_room(world, capacity=15, staff=1)
    guardians = [await world.guardian() for _ in range(6)]
    kids = [await child_of(world, g) for g in guardians]
    for guardian, kid in zip(guardians[:5], kids[:5], strict=True):
        booked = await _post(world, "/v1/bookings", booking_body(institution_id, room_id, kid),
                             guardian)  # fmt: skip
        assert booked.status_code == 201, booked.text  # type: ignore[attr-defined]
    body = booking_body(institution_id, room_id, kids[5])
    assert (await _post(world, "/v1/waitlist", body, guardians[5])).status_code == 201  # type: ignore[attr-defined]
    before = await world.runtime.store.head_position()
    await job_offers(world)
    assert await world.runtime.store.head_position() == before  # full: nothing written
    shifts = [{"weekday": d, "starts": "08:00", "ends": "17:30", "staff": 2} for d in range(1, 6)]
    await put(world, f"/v1/institutions/{institution_id}/rooms/{room_id}/roster",
              {"shifts": shifts}, admin)  # fmt: skip
    await job_offers(world)
    [offer] = await _entries(world, guardians[5])
    assert offer["status"] == "offered", offer
