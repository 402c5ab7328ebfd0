"""Finding care near home: only rooms that take this child for the whole interval, nearest first.

Every search here runs twice: on the read model's rooms, and on the in-process copy of them
(`RoomCatalogue`) the app searches; both must find the same."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest

from api_schema.common import CommandAccepted
from backend.eventstore.store import EventStore
from backend.unit_of_work import UnitOfWork
from domain.booking.terms import CareOffer, CareType, Shift
from domain.class_types import ClassType
from domain.institution.aggregate import Institution
from domain.institution.values import OpeningInterval
from projections import institutions as institutions_model
from projections.availability import find_available
from projections.room_catalogue import RoomCatalogue
from projections.room_presence import RoomPresence
from tests.projections.booking_world import (
    DAY,
    HOME,
    NOW,
    RoomSpec,
    book,
    child,
    city,
    hm,
    hourly,
    institution,
    project,
    run,
)

BIRTH = date(2025, 6, 1)  # 18 months on DAY: a toddler, old enough for a mixed room
SHORT_DAY = tuple(OpeningInterval(d, hm("08:00"), hm("12:00")) for d in range(1, 6))


_copy: dict[str, bool] = {"in process": False}


@pytest.fixture(autouse=True, params=["read model", "in-process copy"])
def rooms_from(request: pytest.FixtureRequest) -> None:
    _copy["in process"] = request.param == "in-process copy"


async def search(store: EventStore, start="10:00", end="13:00", **kw):
    query: dict[str, Any] = dict(
        lat=HOME[0], lng=HOME[1], radius_km=5.0, day=DAY, start_min=hm(start), end_min=hm(end),
        birth_date=BIRTH, care_type=None, now=NOW,
    )  # fmt: skip
    if _copy["in process"]:
        query["catalogue"] = (RoomCatalogue(), 0)  # a fresh copy
    return await find_available(store.pool, **{**query, **kw})


async def _city_around_home(store: EventStore) -> dict[str, object]:
    city_id = await city(store)
    rooms = {
        "fits": RoomSpec("小一班", capacity=2),
        "infants": RoomSpec("乳儿班", ClassType.infant, capacity=6, ratio=3),
        "weekends": RoomSpec("周末班", offers=(hourly(days=(6, 7)),)),
        "mornings": RoomSpec("上午班", offers=(hourly(closes="12:00"),)),
        "full": RoomSpec("满员班", capacity=1),
        "mixed": RoomSpec("混龄班", ClassType.mixed, capacity=10, ratio=5),
        "short": RoomSpec("半日班"),
        "far": RoomSpec("远处班"),
    }
    ids = {
        "near": await institution(
            store, city_id, "近邻托育", [rooms[k] for k in ("fits", "infants", "weekends", "mornings")],
            north_km=0.5,
        ),
        "full": await institution(store, city_id, "满员托育", [rooms["full"]], north_km=1.0),
        "short": await institution(
            store, city_id, "半日托育", [rooms["short"]], north_km=1.5, hours=SHORT_DAY
        ),
        "mixed": await institution(store, city_id, "混龄托育", [rooms["mixed"]], north_km=2.0),
        "far": await institution(store, city_id, "远方托育", [rooms["far"]], north_km=10.0),
    }  # fmt: skip
    mother = uuid4()
    other = await child(store, mother, BIRTH)
    await book(store, other, mother, ids["full"], rooms["full"].room_id, "09:00", "11:00")
    sibling = await child(store, mother, BIRTH)
    await book(store, sibling, mother, ids["near"], rooms["fits"].room_id, "12:00", "15:00")
    await project(store)
    return {**{f"{k}_id": v for k, v in ids.items()}, **rooms}


async def test_only_rooms_that_fit_age_weekday_hours_offer_and_capacity_are_found_nearest_first(
    store: EventStore,
):
    world = await _city_around_home(store)

    found = await search(store)

    assert [i["name"] for i in found] == ["近邻托育", "混龄托育"]
    near, mixed = found
    assert near["institution_id"] == world["near_id"]
    assert near["rooms"] == [
        {
            "room_id": world["fits"].room_id, "name": "小一班", "class_type": "toddler",
            "care_type": "hourly", "pricing": "per_hour", "price_fen": 9000,
        }
    ]  # fmt: skip
    assert [r["room_id"] for r in mixed["rooms"]] == [world["mixed"].room_id]
    assert 0.45 < near["distance_km"] < 0.55 < 1.95 < mixed["distance_km"] < 2.05
    assert near["refund_policy"] == {"full_refund_hours_before": 24, "late_refund_percent": 50}
    assert near["refund_policy_text"].startswith("开始前24小时以上取消全额退款")


async def test_a_full_room_is_found_again_for_a_time_it_is_free(store: EventStore):
    world = await _city_around_home(store)

    found = await search(store, start="11:00", end="12:00")

    assert world["full_id"] in [i["institution_id"] for i in found]
    assert world["short_id"] in [i["institution_id"] for i in found]  # open till 12:00


async def test_a_room_that_would_break_its_ratio_is_not_offered(store: EventStore):
    thin = RoomSpec("单人班", capacity=10, shifts=(Shift(2, hm("08:00"), hm("18:00"), 1),))
    iid = await institution(store, await city(store), "一人托育", [thin], north_km=0.2)
    mother = uuid4()
    for _ in range(5):  # one carer, 1:5: the sixth child would break the ratio
        kid = await child(store, mother, BIRTH)
        await book(store, kid, mother, iid, thin.room_id, "09:00", "15:00")
    await project(store)

    assert await search(store) == []


async def test_care_type_notice_and_visit_length_are_respected(store: EventStore):
    await _city_around_home(store)
    day_before = NOW + timedelta(hours=13, minutes=30)  # 09:30 on DAY: 30 minutes' notice

    assert await search(store, care_type="full_day") == []
    assert [i["name"] for i in await search(store, care_type="hourly")] == ["近邻托育", "混龄托育"]
    assert await search(store, now=day_before) == []
    assert await search(store, start="08:00", end="15:00") == []  # over 6 h a visit
    assert await search(store, start="13:00", end="10:00") == []


async def test_a_child_too_young_for_every_room_finds_nothing(store: EventStore):
    await _city_around_home(store)

    assert await search(store, birth_date=date(2026, 9, 1)) == []  # 3 months old


async def test_each_care_type_a_room_offers_for_the_interval_is_listed_with_its_price(
    store: EventStore,
):
    session = CareOffer(CareType.half_day, (2,), hm("08:00"), hm("13:00"), 8000, "per_session")
    both = RoomSpec("两用班", offers=(hourly(), session))
    await institution(store, await city(store), "两用托育", [both], north_km=0.3)
    await project(store)

    [found] = await search(store)

    assert [(r["care_type"], r["price_fen"]) for r in found["rooms"]] == [
        ("hourly", 9000),
        ("half_day", 8000),
    ]
    assert (await search(store, limit=0)) == []


async def test_the_in_process_copy_is_kept_through_bookings_and_made_again_after_a_closure(
    store: EventStore,
):
    world = await _city_around_home(store)
    projector = await project(store)
    catalogue = RoomCatalogue()

    def changes() -> int:
        return projector.changes(institutions_model.name)

    async def near_found() -> bool:
        found = await search(store, catalogue=(catalogue, changes()))
        return world["near_id"] in [i["institution_id"] for i in found]

    assert await near_found()
    before = changes()
    mother = uuid4()
    booked = await child(store, mother, BIRTH)
    await book(store, booked, mother, world["mixed_id"], world["mixed"].room_id, "09:00", "10:00")
    await projector.catch_up()
    assert changes() == before  # bookings do not touch the rooms: the copy stays

    async def close(uow: UnitOfWork) -> CommandAccepted:
        institution = await uow.get(Institution, world["near_id"])
        institution.announce_closure(DAY, None, "停电检修", NOW)
        return CommandAccepted(id=institution.id, version=institution.version)

    await run(store, close)
    await projector.catch_up()
    assert changes() > before
    assert not await near_found()


async def test_copies_that_remember_earlier_searches_answer_each_new_one_as_fresh_copies(
    store: EventStore,
):
    await _city_around_home(store)
    session = CareOffer(CareType.half_day, (2,), hm("08:00"), hm("13:00"), 8000, "per_session")
    both = RoomSpec("两用班", offers=(hourly(), session))
    await institution(store, await city(store), "两用托育", [both], north_km=0.3)
    await project(store)
    kept = RoomCatalogue()  # remembers each room's offers and carers per slot searched
    present = RoomPresence()  # keeps who is present each day, whatever the interval
    day_before = NOW + timedelta(hours=13, minutes=30)
    queries: list[dict[str, Any]] = [
        {}, {"care_type": "hourly"}, {"care_type": "half_day"}, {"start": "08:00", "end": "15:00"},
        {"start": "09:00", "end": "11:00"}, {"now": day_before}, {"start": "11:00", "end": "12:00"},
    ]  # fmt: skip
    for query in queries * 2:
        fresh = await search(store, **query, catalogue=(RoomCatalogue(), 0))
        assert await search(store, **query, catalogue=(kept, 0), presence=present) == fresh, query
