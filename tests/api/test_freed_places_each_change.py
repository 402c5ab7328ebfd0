"""Each kind of change that may free a place for a waiting family, and that the job offering
places freed by changes must notice (it looks only where something changed): the room made
larger, the city loosening its class size, and the waiting child itself set free elsewhere (its
other booking cancelled or released as a no-show, its regular day closed, its term ended early),
after a place came free while it was not. A more carers rostered and a regular place ended early
are in tests/api/test_waitlist.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from backend.clock import FrozenClock
from backend.scheduler import release_due_no_shows
from tests.api.booking_world import (
    FULL_DAY,
    HOURLY,
    bookable_room,
    booking_body,
    child_of,
    enrolment,
)
from tests.api.days import DAY, NINE, day
from tests.api.waitlist_world import (
    Line,
    cancel,
    full_with_a_line,
    job_offers,
    statuses,
    two_places,
)
from tests.api.world import Caller, World, idem


async def test_a_room_made_larger_is_offered_to_the_family_waiting(world: World):
    line = await full_with_a_line(world)
    await job_offers(world)
    await two_places(world, line)
    await job_offers(world)
    assert await statuses(world, line.waiting) == ["offered"]


async def test_a_city_loosening_its_class_size_offers_the_places_it_frees(world: World):
    """A 15-place room in a city that limits 托小班 to one child: full with one, a family waits.
    The city goes back to the national size: the job offers the family a place."""
    regulator = await world.regulator()
    path = f"/v1/cities/{world.city_id}/class-rules"
    one_child = {"class_type": "toddler", "min_age_months": 12, "max_age_months": 24,
                 "max_class_size": 1, "children_per_carer": 5}  # fmt: skip

    async def set_rules(*rules: dict[str, Any]) -> None:
        response = await world.client.put(
            path, json={"rules": list(rules)}, headers={**world.fresh(regulator.headers), **idem()}
        )
        assert world.saw(response).status_code == 200, response.text

    institution_id, room_id, _ = await bookable_room(world)  # 15 places, 3 carers
    await set_rules(one_child)
    waiting = await _waiting_in_full(world, institution_id, room_id)
    await job_offers(world)
    assert await statuses(world, waiting) == ["waiting"]
    await set_rules()  # the national rules again
    await job_offers(world)
    assert await statuses(world, waiting) == ["offered"]


async def test_a_waiting_child_set_free_by_its_other_booking_cancelled_is_offered(world: World):
    line = await full_with_a_line(world)
    elsewhere = await _booked_elsewhere(world, line)
    await _place_freed_while_the_child_is_busy(world, line)
    await cancel(world, elsewhere, line.waiting)
    await job_offers(world)
    assert await statuses(world, line.waiting) == ["offered"]


async def test_a_waiting_child_set_free_by_its_other_booking_released_as_a_no_show_is_offered(
    world: World,
):
    """The child waits for 13:00–15:00 here and is booked 09:00–14:00 elsewhere, where it does
    not come: released at 09:31, it is free for the afternoon, and is offered the place."""
    line = await full_with_a_line(world, start="13:00", end="15:00")
    await _booked_elsewhere(world, line, "09:00", "14:00")
    await _place_freed_while_the_child_is_busy(world, line)
    world.runtime.clock = FrozenClock(at=NINE + timedelta(minutes=31))
    assert await release_due_no_shows(world.runtime) == 1
    await job_offers(world)
    assert await statuses(world, line.waiting) == ["offered"]


async def test_a_waiting_child_set_free_by_a_closure_of_its_regular_room_is_offered(
    world: World,
):
    line = await full_with_a_line(world)
    institution_id, room_id, admin, _ = await _regular_place_elsewhere(world, line)
    await _place_freed_while_the_child_is_busy(world, line)
    closed = await world.post(f"/v1/institutions/{institution_id}/closures",
                              {"date": DAY, "room_id": str(room_id), "reason": "停水"},
                              admin)  # fmt: skip
    assert closed.status_code == 201, closed.text
    await job_offers(world)
    assert await statuses(world, line.waiting) == ["offered"]


async def test_a_waiting_child_set_free_by_its_term_ended_early_is_offered(world: World):
    """The child waits here for the next Tuesday and has a regular place elsewhere on Tuesdays;
    the term is ended on DAY, so the next Tuesday it is free, and is offered the place."""
    line = await full_with_a_line(world, first=7)
    *_, enrolment_id = await _regular_place_elsewhere(world, line)
    await _place_freed_while_the_child_is_busy(world, line)
    ended = await world.post(f"/v1/enrolments/{enrolment_id}/end", {"last_day": DAY},
                             line.waiting)  # fmt: skip
    assert ended.status_code == 200, ended.text
    await job_offers(world)
    assert await statuses(world, line.waiting) == ["offered"]


async def _waiting_in_full(world: World, institution_id: UUID, room_id: UUID) -> Caller:
    """One child booked at 09:00–11:00 fills the room; another family waits (returned)."""
    holder, waiting = await world.guardian(), await world.guardian()
    held, wanted = await child_of(world, holder), await child_of(world, waiting)
    booked = await world.post("/v1/bookings", booking_body(institution_id, room_id, held), holder)
    assert booked.status_code == 201, booked.text
    joined = await world.post("/v1/waitlist", booking_body(institution_id, room_id, wanted),
                              waiting)  # fmt: skip
    assert joined.status_code == 201, joined.text
    return waiting


async def _booked_elsewhere(
    world: World, line: Line, start: str = "09:00", end: str = "11:00"
) -> str:
    """The waiting child booked at another institution at an overlapping time (waiting holds
    none of its time)."""
    institution_id, room_id, _ = await bookable_room(world)
    body = booking_body(institution_id, room_id, line.wanted, start, end)
    booked = await world.post("/v1/bookings", body, line.waiting)
    assert booked.status_code == 201, booked.text
    return str(booked.json()["id"])


async def _regular_place_elsewhere(world: World, line: Line) -> tuple[UUID, UUID, Caller, str]:
    """The waiting child given a regular place at another institution on Tuesdays from DAY to
    two weeks after (08:30–17:00)."""
    institution_id, room_id, admin = await bookable_room(world, offers=[HOURLY, FULL_DAY])
    term = enrolment(institution_id, room_id, line.wanted, weekdays=[2], last_day=day(14))
    enrolled = await world.post("/v1/enrolments", term, line.waiting)
    assert enrolled.status_code == 201, enrolled.text
    return institution_id, room_id, admin, str(enrolled.json()["id"])


async def _place_freed_while_the_child_is_busy(world: World, line: Line) -> None:
    """The holder cancels: the place is not offered to the waiting child, booked elsewhere then
    (it keeps its place in line), nor by the job, while the child is not free."""
    await job_offers(world)
    await cancel(world, line.bookings[0], line.holder)
    await job_offers(world)
    assert await statuses(world, line.waiting) == ["waiting"]
