"""A waitlist offer of a place whose child came back (collected and brought again while its
booking runs, or dropped off before a no-show release a tablet replays later) is withdrawn in the
same command: the family is told and waits again in its place in line, instead of holding a place
"kept for you" that taking would refuse as full until it lapses (ADR 0024)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from backend.clock import Clock
from backend.scheduler import release_due_no_shows
from tests.api.attendance_world import Room, at, attending_room, check_in, clock_to, collected
from tests.api.booking_world import HOURLY, booking_body, many_children, put
from tests.api.days import DAY
from tests.api.room_moves_world import read
from tests.api.world import Caller, World

NO_NOTICE = {**HOURLY, "min_notice_minutes": 0}


async def _one_place_with_a_family_waiting(world: World) -> tuple[Room, Caller, str]:
    """A one-place room at 09:00 (its child booked 09:00–11:00, not yet in), and another family
    waiting for 10:00–11:00 (the entry's id)."""
    stranger = await world.guardian()
    [other_child] = await many_children(world, stranger, 1)
    room = await attending_room(world, 1, capacity=1)
    frozen, world.runtime.clock = world.runtime.clock, Clock()  # the admin's token: real time
    try:
        path = f"/v1/institutions/{room.institution_id}"
        await put(world, f"{path}/rooms/{room.room_id}/offers", {"offers": [NO_NOTICE]}, room.admin)
        settings = {"no_show_after_minutes": 20, "waitlist_offer_minutes": 15}
        await put(world, f"{path}/booking-settings", settings, room.admin)
    finally:
        world.runtime.clock = frozen
    body = booking_body(room.institution_id, room.room_id, other_child, "10:00", "11:00")
    waiting = await world.post("/v1/waitlist", body, stranger)
    assert waiting.status_code == 201, waiting.text
    return room, stranger, waiting.json()["id"]


async def _entry(world: World, who: Caller) -> dict[str, Any]:
    [entry] = await read(world, "/v1/waitlist", who)
    return dict(entry)


async def _withdrawn_and_told(world: World, room: Room, stranger: Caller, entry_id: str) -> None:
    """The entry waits again with no offer, taking it is refused, the family is told, and the
    room's occupancy holds no place for it."""
    entry = await _entry(world, stranger)
    assert (entry["status"], entry["offered_until"]) == ("waiting", None)
    taken = await world.post(f"/v1/waitlist/{entry_id}/accept", {}, stranger)
    assert taken.status_code == 409, taken.text
    assert taken.json()["type"] == "/problems/offer-not-open"
    notes: Any = await read(world, "/v1/notifications", stranger)
    assert [n["kind"] for n in notes][:2] == ["waitlist_offer_withdrawn", "waitlist_offer"]
    assert notes[0]["title"] == "候补名额已撤回" and "您仍在候补中" in notes[0]["body"]
    assert UUID(notes[0]["booking_id"]) == UUID(entry_id)
    occupancy: Any = await read(world, f"/v1/rooms/{room.room_id}/occupancy?date={DAY}", room.admin)
    [at_1030] = [s for s in occupancy["segments"] if s["start"] <= "10:30" < s["end"]]
    assert (at_1030["booked"], at_1030["held"]) == (1, 0)


async def test_an_offer_of_the_place_a_child_was_brought_back_to_is_withdrawn(world: World):
    room, stranger, entry_id = await _one_place_with_a_family_waiting(world)
    assert (await check_in(world, room, room.children[0])).status_code == 201
    await collected(world, room, 30)  # 09:30, to the doctor's: the place is offered
    assert (await _entry(world, stranger))["status"] == "offered"
    clock_to(world, 40)
    assert (await check_in(world, room, room.children[0], at=at(40))).status_code == 201
    await _withdrawn_and_told(world, room, stranger, entry_id)

    await collected(world, room, 50)  # gone for good at 09:50: the family in line gets it
    assert (await _entry(world, stranger))["status"] == "offered"
    taken = await world.post(f"/v1/waitlist/{entry_id}/accept", {}, stranger)
    assert taken.status_code == 201, taken.text
    await _rebuilt_alike(world, ("waitlist", "notifications"))


async def _rebuilt_alike(world: World, names: tuple[str, ...]) -> None:
    """Each named read model, rebuilt one event at a time, equals its live rows."""
    runtime = world.runtime
    await runtime.projector.wait_until(await runtime.store.head_position())
    for model in [p for p in runtime.projector.projections if p.name in names]:

        async def rows(model: Any = model) -> dict[str, list[Any]]:
            return {t: sorted(tuple(r) for r in await runtime.pool.fetch(f"SELECT * FROM {t}"))
                    for t in model.tables}  # fmt: skip

        live = await rows()
        await runtime.projector.rebuild(model, batch_size=1)
        assert await rows() == live, model.name


async def test_an_offer_of_a_no_shows_place_is_withdrawn_when_its_drop_off_is_replayed(
    world: World,
):
    room, stranger, entry_id = await _one_place_with_a_family_waiting(world)
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    clock_to(world, 21)
    assert await release_due_no_shows(world.runtime) == 1  # the tablet is offline
    assert (await _entry(world, stranger))["status"] == "offered"
    clock_to(world, 25)
    replayed = await check_in(world, room, room.children[0], at=at(5))  # in at 09:05
    assert replayed.status_code == 201, replayed.text
    await _withdrawn_and_told(world, room, stranger, entry_id)
