"""A family waiting in two rooms for the same time gets offers from both; once its child is booked
(it took one of them, or was booked or given a regular place elsewhere), the other offer is
withdrawn by the freed-places job and its place offered to the next family in line, instead of
staying held for a child who could not take it until it lapses (ADR 0006). And a family's list
of entries says which room and institution each is for."""

from __future__ import annotations

import asyncio
from typing import Any, NamedTuple
from uuid import UUID, uuid4

from backend.commands import CommandContext
from backend.services import waitlist
from backend.unit_of_work import UnitOfWork
from domain.booking.room_day import room_day_id
from tests.api.booking_world import (
    FULL_DAY,
    HOURLY,
    bookable_room,
    booking_body,
    child_of,
    enrolment,
    put,
)
from tests.api.days import DAY_DATE, day
from tests.api.waitlist_world import job_offers
from tests.api.world import Caller, World


class TwoRooms(NamedTuple):
    """Rooms A and B of one institution, one place each, both booked 09:00–11:00 on DAY; X's
    child waits in both (first in line), Y's in B after it."""

    institution_id: UUID
    rooms: tuple[UUID, UUID]
    holders: tuple[Caller, Caller]
    bookings: tuple[str, str]
    x: Caller
    x_child: UUID
    x_entries: tuple[str, str]  # in A, in B
    y: Caller


async def _two_full_rooms_and_x_waiting_in_both(world: World) -> TwoRooms:
    institution_id, room_a, admin = await bookable_room(world, capacity=1, staff=1)
    added = await world.add_room(institution_id, admin, name="月亮班", capacity=1)
    assert added.status_code == 201, added.text
    room_b = UUID(added.json()["id"])
    base = f"/v1/institutions/{institution_id}/rooms/{room_b}"
    await put(world, f"{base}/offers", {"offers": [HOURLY]}, admin)
    shifts = [{"weekday": d, "starts": "08:00", "ends": "17:30", "staff": 1} for d in range(1, 6)]
    await put(world, f"{base}/roster", {"shifts": shifts}, admin)
    holder_a, holder_b, x, y = [await world.guardian() for _ in range(4)]
    bookings = []
    for holder, room in ((holder_a, room_a), (holder_b, room_b)):
        body = booking_body(institution_id, room, await child_of(world, holder))
        booked = await world.post("/v1/bookings", body, holder)
        assert booked.status_code == 201, booked.text
        bookings.append(booked.json()["id"])
    x_child = await child_of(world, x)
    entries = [await _join(world, x, booking_body(institution_id, room, x_child))
               for room in (room_a, room_b)]  # fmt: skip
    await _join(world, y, booking_body(institution_id, room_b, await child_of(world, y)))
    return TwoRooms(
        institution_id, (room_a, room_b), (holder_a, holder_b), (bookings[0], bookings[1]), x,
        x_child, (entries[0], entries[1]), y,
    )  # fmt: skip


async def _join(world: World, who: Caller, body: dict[str, Any]) -> str:
    joined = await world.post("/v1/waitlist", body, who)
    assert joined.status_code == 201, joined.text
    return str(joined.json()["id"])


async def _cancel(world: World, two: TwoRooms, which: int) -> None:
    """The holder of room A (0) or B (1) cancels: the place is offered at once."""
    path = f"/v1/bookings/{two.bookings[which]}/cancel"
    cancelled = await world.post(path, {"reason": "改期"}, two.holders[which])
    assert cancelled.status_code == 200, cancelled.text


async def _free(world: World, two: TwoRooms, which: int) -> None:
    """As `_cancel`, and the job runs after it, as its next tick would: what the job does later
    is owed to what came after."""
    await _cancel(world, two, which)
    await job_offers(world)


async def _entries(world: World, who: Caller) -> dict[str, dict[str, Any]]:
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    response = await world.client.get("/v1/waitlist", headers=world.fresh(who.headers))
    assert response.status_code == 200, response.text
    return {e["id"]: e for e in response.json()}


async def _b_goes_to_y(world: World, two: TwoRooms) -> None:
    """X's offer in B is withdrawn (X waits again, in its place in line, and is told why), Y is
    offered B's place, and X can no longer take B's."""
    await job_offers(world)
    assert [e["status"] for e in (await _entries(world, two.y)).values()] == ["offered"]
    x_in_b = (await _entries(world, two.x))[two.x_entries[1]]
    assert (x_in_b["status"], x_in_b["offered_until"]) == ("waiting", None)
    taken = await world.post(f"/v1/waitlist/{two.x_entries[1]}/accept", {}, two.x)
    assert taken.status_code == 409, taken.text
    response = await world.client.get("/v1/notifications", headers=world.fresh(two.x.headers))
    [told] = [n for n in response.json() if UUID(n["booking_id"]) == UUID(two.x_entries[1])
              and n["kind"].startswith("waitlist_offer_withdrawn")]  # fmt: skip
    assert told["kind"] == "waitlist_offer_withdrawn_booked_elsewhere", told
    assert "已有其他预约" in told["body"] and "下一位候补家庭" in told["body"], told


async def test_a_family_that_takes_one_rooms_offer_has_the_others_withdrawn_for_the_next_family(
    world: World,
):
    two = await _two_full_rooms_and_x_waiting_in_both(world)
    await _free(world, two, 0)
    await _free(world, two, 1)
    assert [e["status"] for e in (await _entries(world, two.x)).values()] == ["offered"] * 2
    taken = await world.post(f"/v1/waitlist/{two.x_entries[0]}/accept", {}, two.x)
    assert taken.status_code == 201, taken.text
    await _b_goes_to_y(world, two)


async def test_a_family_booked_directly_elsewhere_has_its_open_offer_withdrawn(world: World):
    two = await _two_full_rooms_and_x_waiting_in_both(world)
    await _free(world, two, 1)
    assert (await _entries(world, two.x))[two.x_entries[1]]["status"] == "offered"
    elsewhere, elsewhere_room, _ = await bookable_room(world)
    body = booking_body(elsewhere, elsewhere_room, two.x_child, "10:00", "12:00")
    booked = await world.post("/v1/bookings", body, two.x)
    assert booked.status_code == 201, booked.text
    await _b_goes_to_y(world, two)


async def test_a_family_given_a_regular_place_elsewhere_has_its_open_offer_withdrawn(world: World):
    two = await _two_full_rooms_and_x_waiting_in_both(world)
    await _free(world, two, 1)
    elsewhere, elsewhere_room, _ = await bookable_room(world, offers=[HOURLY, FULL_DAY])
    term = enrolment(elsewhere, elsewhere_room, two.x_child, weekdays=[2], last_day=day(14))
    enrolled = await world.post("/v1/enrolments", term, two.x)
    assert enrolled.status_code == 201, enrolled.text
    await _b_goes_to_y(world, two)


async def test_taking_one_rooms_offer_while_the_other_room_offers_its_place_leaves_it_to_the_next(
    world: World,
):
    """X's taking of A's offer is decided (its child free) while B's place frees and is offered
    to X, and commits after it: neither read what the other wrote, so both stand, and X is
    booked in A holding B's offer. The job withdraws that offer and Y is offered B's place."""
    two = await _two_full_rooms_and_x_waiting_in_both(world)
    await _free(world, two, 0)
    b_offered = asyncio.Event()

    async def take_a(uow: UnitOfWork, ctx: CommandContext) -> Any:
        accepted = await waitlist.take_offer(
            uow, ctx.now, room_day_id=room_day_id(two.rooms[0], DAY_DATE),
            entry_id=UUID(two.x_entries[0]), guardian_id=two.x.account_id, booking_id=uuid4(),
        )  # fmt: skip
        await b_offered.wait()  # decided; B's place is offered before this commits
        return accepted

    async def free_b() -> None:
        await _cancel(world, two, 1)
        b_offered.set()

    await asyncio.gather(world.run(take_a), free_b())
    assert [e["status"] for e in (await _entries(world, two.x)).values()] == ["offered"]  # B's
    await _b_goes_to_y(world, two)


async def test_a_familys_waitlist_says_which_room_and_institution_each_entry_is_for(
    world: World,
):
    two = await _two_full_rooms_and_x_waiting_in_both(world)
    entries = await _entries(world, two.x)
    institution = (await world.client.get(f"/v1/institutions/{two.institution_id}")).json()
    seen = {(e["institution_id"], e["institution_name"], e["room_id"], e["room_name"])
            for e in entries.values()}  # fmt: skip
    assert seen == {
        (str(two.institution_id), institution["summary"]["name"], str(two.rooms[0]), "向日葵班"),
        (str(two.institution_id), institution["summary"]["name"], str(two.rooms[1]), "月亮班"),
    }
