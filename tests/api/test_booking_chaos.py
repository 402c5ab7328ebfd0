"""A mixed rush on one small room-day, raced at once: bookings of overlapping intervals, replayed
keys, cancellations, waitlist joins, offers taken or declined, and strangers' attempts; then the
invariants no interleaving may break (capacity each minute, events = read model = aggregate)."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from random import Random
from typing import Any
from uuid import UUID

import httpx
from eventsourcing.persistence import StoredEvent

from backend.api.app import create_app
from backend.eventstore.store import FROM_THE_FIRST_EVENT
from backend.state import Runtime
from backend.unit_of_work import load_aggregate
from domain.booking.room_day import RoomDay, room_day_id
from tests.api.booking_world import bookable_room, booking_body, many_children
from tests.api.days import DAY, DAY_DATE
from tests.api.world import Caller, World

SEED = 20_260_601
FAMILIES = 40
CAPACITY = 6  # 2 carers × 5 toddlers = 10: the class size binds, not the ratio
INTERVALS = [("08:30", "11:00"), ("09:00", "12:00"), ("10:00", "13:00"),
             ("11:30", "14:00"), ("13:00", "16:00"), ("15:00", "17:30")]  # fmt: skip
# Which process a kind of command goes to (else they take turns); any routing must do. With
# two: places are given up on the first, and the offers they make taken on the second.
PINNED = {"cancel": 0, "leave": 0, "accept": 1}


class StaleRefusal(AssertionError):
    """A command refused though the committed state allowed it: an offer refused to the one
    family it is held for, or one copy of a command refused while another was accepted."""


@dataclass
class Family:
    guardian: Caller
    child: UUID


@dataclass
class Rush:
    world: World
    institution_id: UUID
    room_id: UUID
    families: list[Family]
    clients: list[httpx.AsyncClient]  # one per server process, taking commands in turn
    seen: list[tuple[str, httpx.Response]] = field(default_factory=list)
    keys: dict[str, tuple[str, list[httpx.Response]]] = field(default_factory=dict)
    strangers: list[httpx.Response] = field(default_factory=list)
    taken: list[httpx.Response] = field(default_factory=list)  # families taking their offers

    async def send(
        self, what: str, method: str, path: str, who: Caller, body: Any = None, copies: int = 1
    ) -> list[httpx.Response]:
        """One command, sent `copies` times at once under one Idempotency-Key (a phone retrying),
        to the processes in turn (a retry may land on another one), from its kind's if pinned."""
        key, turn = uuid.uuid4().hex, PINNED.get(what, len(self.keys))
        self.keys[key] = (what, [])
        # Read-your-writes awaited here, not by X-Min-Position: a second process follows no
        # read models of its own (the routes read them for the booking's or entry's room-day).
        await self.world.runtime.projector.wait_until(self.world.last_position)
        headers = {**who.headers, "Idempotency-Key": key}
        clients = [self.clients[(turn + i) % len(self.clients)] for i in range(copies)]
        sent = await asyncio.gather(
            *(c.request(method, path, json=body, headers=headers) for c in clients)
        )
        self.seen += [(what, self.world.saw(response)) for response in sent]
        self.keys[key] = (what, list(sent))
        return list(sent)

    async def stranger(self, what: str, path: str, who: Caller, body: Any = None) -> None:
        self.strangers += await self.send(what, "POST", path, who, body)

    async def family(self, me: Family, rng: Random) -> None:
        await asyncio.sleep(rng.uniform(0, 0.3))
        other = rng.choice([f for f in self.families if f is not me]).guardian
        body = booking_body(self.institution_id, self.room_id, me.child, *rng.choice(INTERVALS))
        if rng.random() < 0.15:  # another family tries to book my child
            await self.stranger("book", "/v1/bookings", other, body)
        copies = 3 if rng.random() < 0.3 else 1
        [first, *_] = await self.send("book", "POST", "/v1/bookings", me.guardian, body, copies)
        if first.status_code == 201:
            await self.after_booking(me, other, first.json()["id"], rng)
        elif first.json()["type"] == "/problems/room-full":
            await self.wait_for_a_place(me, other, body, rng)

    async def after_booking(self, me: Family, other: Caller, booking: str, rng: Random) -> None:
        if rng.random() < 0.3:  # a second visit the same day: refused if it overlaps the first
            again = booking_body(
                self.institution_id, self.room_id, me.child, *rng.choice(INTERVALS)
            )
            await self.send("book", "POST", "/v1/bookings", me.guardian, again)
        cancel = f"/v1/bookings/{booking}/cancel"
        if rng.random() < 0.2:
            await self.stranger("cancel", cancel, other, {"reason": "不是我的"})
        if rng.random() < 0.8:  # plans change, mostly once the room has filled
            await asyncio.sleep(rng.uniform(0.3, 1.5))
            copies = 2 if rng.random() < 0.3 else 1
            await self.send("cancel", "POST", cancel, me.guardian, {"reason": "改期"}, copies)

    async def wait_for_a_place(self, me: Family, other: Caller, body: Any, rng: Random) -> None:
        [joined] = await self.send("join", "POST", "/v1/waitlist", me.guardian, body)
        if joined.status_code != 201:  # a place freed meanwhile (place-available): book it
            await self.send("book", "POST", "/v1/bookings", me.guardian, body)
            return
        entry = joined.json()["id"]
        if rng.random() < 0.2:
            await self.stranger("accept", f"/v1/waitlist/{entry}/accept", other)
        if rng.random() < 0.2:
            return  # the phone stays in a pocket: an offer made is held, never taken
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 3
        while loop.time() < deadline:
            await asyncio.sleep(0.1)
            headers = self.world.fresh(me.guardian.headers)
            mine = await self.world.client.get("/v1/waitlist", headers=headers)
            self.seen.append(("poll", mine))
            if any(e["id"] == entry and e["status"] == "offered" for e in mine.json()):
                break
        else:
            return  # still waiting when the rush ends
        if rng.random() < 0.2:  # declined: the place goes to the next in line
            await self.send("leave", "DELETE", f"/v1/waitlist/{entry}", me.guardian)
        else:
            copies = 2 if rng.random() < 0.3 else 1
            accept = f"/v1/waitlist/{entry}/accept"
            taken = await self.send("accept", "POST", accept, me.guardian, None, copies)
            self.taken += taken
            if taken[0].status_code == 201:  # a place got is a place that may be given up again
                await self.after_booking(me, other, taken[0].json()["id"], rng)


def covering(spans: list[tuple[int, int]], minute: int) -> int:
    return sum(1 for start, end in spans if start <= minute < end)


def peak(spans: list[tuple[int, int]]) -> int:
    """The most spans present at one minute (the peak lies at some span's start)."""
    return max((covering(spans, start) for start, _ in spans), default=0)


def held(room_day: RoomDay) -> list[tuple[int, int]]:
    """Places a room-day holds: active bookings, and open offers (kept for the family)."""
    held: list[Any] = [*room_day.bookings.values()]
    held += [e for e in room_day.waitlist.values() if e.offered_until is not None]
    return [(h.start, h.end) for h in held]


async def test_a_mixed_rush_on_a_small_room_day_never_overbooks_and_every_record_agrees(
    world: World,
):
    await race_and_check(world, [world.client])


async def test_the_same_rush_over_two_server_processes_never_overbooks_either(
    world: World, second_worker: Runtime
):
    second_worker.clock = world.runtime.clock
    app = create_app(runtime=second_worker)
    app.state.runtime = second_worker  # as the client fixture does: no lifespan runs here
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://tuoyu.test") as other:
        await race_and_check(world, [world.client, other])


async def race_and_check(world: World, clients: list[httpx.AsyncClient]) -> None:
    institution_id, room_id, admin = await bookable_room(world, capacity=CAPACITY, staff=2)
    guardians = await asyncio.gather(*(world.guardian() for _ in range(FAMILIES)))
    families = [Family(g, (await many_children(world, g, 1))[0]) for g in guardians]
    rush = Rush(world, institution_id, room_id, families, clients)
    master = Random(SEED)
    plans = [(f, Random(master.random())) for f in families]
    master.shuffle(plans)
    await asyncio.gather(*(rush.family(f, rng) for f, rng in plans))
    rt = world.runtime
    assert await rt.projector.wait_until(await rt.store.head_position())
    world.last_position = await rt.store.head_position()

    # No 5xx; every refusal a problem with a type; strangers never get through.
    for what, r in rush.seen:
        assert r.status_code < 500, (what, r.status_code, r.text)
        if r.status_code >= 400:
            assert r.status_code in (403, 404, 409, 422), (what, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json"), r.text
            assert r.json()["type"].startswith("/problems/"), r.text
    assert rush.strangers and all(r.status_code in (403, 404) for r in rush.strangers)

    # One key, one answer: nothing done twice; copies answered alike (checked last).
    answered: dict[str, set[str]] = defaultdict(set)
    mixed = []
    for what, sent in rush.keys.values():
        if ok := [r for r in sent if r.status_code < 300]:
            assert len({r.json()["id"] for r in ok}) == 1, [r.text for r in sent]
            answered[what].add(ok[0].json()["id"])
            mixed += [(what, r.text) for r in sent if r.status_code != ok[0].status_code]
    booked_ids = answered["book"] | answered["accept"]
    assert len(booked_ids) == len(answered["book"]) + len(answered["accept"])
    statuses = Counter((what, r.status_code) for what, r in rush.seen)
    assert statuses["book", 201] >= CAPACITY and statuses["book", 409] > 0, statuses
    assert statuses["join", 201] > 0 and statuses["cancel", 200] > 0, statuses

    # At no moment (after any event of the room-day) were more places held than the room has.
    stream = room_day_id(room_id, DAY_DATE)
    _, events = (await rt.store.read_streams([stream], [FROM_THE_FIRST_EVENT]))[stream]
    replayed: Any = None
    booked_in_events: list[str] = []
    for version, topic, state in events:
        event = rt.store.mapper.to_domain_event(StoredEvent(stream, version, topic, state))
        replayed = event.mutate(replayed)
        if isinstance(event, RoomDay.CareBooked):
            booked_in_events.append(str(event.booking.booking_id))
        assert peak(held(replayed)) <= CAPACITY, (version, topic)
    topics = Counter(topic.rsplit(".", 1)[-1] for _, topic, _ in events)

    # Events = the answers = the read model = the aggregate as commands load it.
    rows = await rt.pool.fetch(
        "SELECT id::text, child_id, start_min, end_min, status FROM rm_bookings"
        " WHERE room_id = $1 AND day = $2", room_id, DAY_DATE,
    )  # fmt: skip
    active = [r for r in rows if r["status"] in ("confirmed", "checked_in")]
    cancelled = {r["id"] for r in rows if r["status"] == "cancelled"}
    assert len(booked_in_events) == len(set(booked_in_events)) == len(rows) == len(booked_ids)
    assert set(booked_in_events) == {r["id"] for r in rows} == booked_ids
    assert topics["BookingCancelled"] == len(cancelled) == len(answered["cancel"])
    assert cancelled == answered["cancel"]
    assert topics["WaitlistOfferTaken"] == len(answered["accept"])
    waitlist = await rt.pool.fetch(
        "SELECT entry_id, status, start_min, end_min FROM rm_waitlist WHERE room_day_id = $1",
        stream,
    )
    assert topics["WaitlistJoined"] == len(waitlist) == len(answered["join"])
    offers = [(w["start_min"], w["end_min"]) for w in waitlist if w["status"] == "offered"]

    room_day = await load_aggregate(rt.store, stream)
    assert isinstance(room_day, RoomDay) and room_day.version == replayed.version
    assert set(room_day.bookings) == set(replayed.bookings)
    assert {str(b) for b in room_day.bookings} == {r["id"] for r in active}
    assert {str(b) for b, how in room_day.ended.items() if how == "cancelled"} == cancelled
    for status, offered in (("offered", True), ("waiting", False)):
        entries = [e for e in room_day.waitlist.values() if offered == bool(e.offered_until)]
        assert {e.entry_id for e in entries} == {w[0] for w in waitlist if w[1] == status}

    # Bookings and held offers fit the room at every minute; the staff's view agrees.
    spans = [(r["start_min"], r["end_min"]) for r in active]
    assert sorted(spans + offers) == sorted(held(room_day))
    assert peak(spans + offers) <= CAPACITY
    occupancy = await world.client.get(
        f"/v1/rooms/{room_id}/occupancy?date={DAY}", headers=world.fresh(admin.headers)
    )
    assert occupancy.status_code == 200, occupancy.text
    for segment in occupancy.json()["segments"]:
        h, m = map(int, segment["start"].split(":"))
        assert segment["booked"] == covering(spans, h * 60 + m), segment
        assert segment["booked"] + covering(offers, h * 60 + m) <= segment["capacity"] == CAPACITY

    # No child is in two places at once.
    by_child: dict[UUID, list[tuple[int, int]]] = defaultdict(list)
    for r in active:
        by_child[r["child_id"]].append((r["start_min"], r["end_min"]))
    for visits in by_child.values():
        visits.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(visits)), visits

    # An offer is held for its family alone (for 15 minutes): seen, it is theirs to take.
    refused = [("accept", r.text) for r in rush.taken if r.status_code != 201]
    if refused or mixed:
        raise StaleRefusal([*refused, *mixed])
