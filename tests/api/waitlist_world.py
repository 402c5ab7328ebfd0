"""A full room with a family waiting, for tests of the job that offers places freed by changes:
the job run once with the read models caught up, and what the waiting family sees."""

from __future__ import annotations

from typing import NamedTuple
from uuid import UUID

from eventsourcing.utils import get_topic

from backend.scheduler import offer_places_freed_by_changes
from backend.state import Runtime
from domain.booking.room_day import RoomDay
from tests.api.booking_world import bookable_room, booking_body, child_of
from tests.api.days import day
from tests.api.world import Caller, World, idem

OFFERED = get_topic(RoomDay.WaitlistOfferMade)


class Line(NamedTuple):
    """A room of one place, full on each of its days, and a family waiting on each."""

    institution_id: UUID
    room_id: UUID
    admin: Caller
    holder: Caller
    bookings: list[str]  # the holder's, one a day
    waiting: Caller
    wanted: UUID  # the waiting family's child


async def full_with_a_line(
    world: World, days: int = 1, *, first: int = 0, start: str = "09:00", end: str = "11:00",
    capacity: int = 1, staff: int = 1,
) -> Line:  # fmt: skip
    """The room full on `days` Tuesdays from DAY + `first` days, at `start`–`end`, and a family
    waiting on each (its child free: booked nowhere then)."""
    institution_id, room_id, admin = await bookable_room(world, capacity=capacity, staff=staff)
    holder, waiting = await world.guardian(), await world.guardian()
    held, wanted = await child_of(world, holder), await child_of(world, waiting)
    bookings = []
    for offset in range(first, first + 7 * days, 7):
        body = {**booking_body(institution_id, room_id, held, start, end), "date": day(offset)}
        booked = await world.post("/v1/bookings", body, holder)
        assert booked.status_code == 201, booked.text
        bookings.append(booked.json()["id"])
        body = {**booking_body(institution_id, room_id, wanted, start, end), "date": day(offset)}
        joined = await world.post("/v1/waitlist", body, waiting)
        assert joined.status_code == 201, joined.text
    return Line(institution_id, room_id, admin, holder, bookings, waiting, wanted)


async def job_offers(world: World, runtime: Runtime | None = None) -> int:
    """The read models caught up, the job runs once (on `runtime`: another process's); how many
    room-days it looked at."""
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    looked_at = await offer_places_freed_by_changes(runtime or world.runtime)
    world.last_position = await world.runtime.store.head_position()  # read what it wrote
    return looked_at


async def two_places(world: World, line: Line) -> None:
    """The admin makes the room one place larger: a change no booking made."""
    response = await world.client.put(
        f"/v1/institutions/{line.institution_id}/rooms/{line.room_id}",
        json={"name": "向日葵班", "class_type": "toddler", "capacity": 2},
        headers={**world.fresh(line.admin.headers), **idem()},
    )
    assert world.saw(response).status_code == 200, response.text


async def statuses(world: World, who: Caller) -> list[str]:
    response = await world.client.get("/v1/waitlist", headers=world.fresh(who.headers))
    assert response.status_code == 200, response.text
    return [e["status"] for e in response.json()]


async def offers_made(world: World) -> int:
    found = await world.runtime.pool.fetchval(
        "SELECT count(*) FROM events WHERE topic = $1", OFFERED
    )
    return int(found)


async def cancel(world: World, booking_id: str, who: Caller) -> None:
    cancelled = await world.post(f"/v1/bookings/{booking_id}/cancel", {"reason": "改期"}, who)
    assert cancelled.status_code == 200, cancelled.text
