"""A city's own class rules (RULES.md: each rule a parameter with a national default,
overridable per city): set by a regulator of the whole city, never looser than the national
ones, and binding rooms, bookings, availability and the door in that city's institutions."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from uuid import UUID

from backend.services import cities
from domain.city.aggregate import District
from tests.api.attendance_world import at, attending_room, check_in
from tests.api.booking_world import bookable_room, booking_body, child_of, found_by_search
from tests.api.days import DAY, months_before_day
from tests.api.world import _PASSWORD_HASH, Caller, World, idem, new_phone

TODDLERS_BY_FOUR = {
    "class_type": "toddler", "min_age_months": 12, "max_age_months": 24, "max_class_size": 12,
    "children_per_carer": 4,
}  # fmt: skip


def _path(world: World) -> str:
    return f"/v1/cities/{world.city_id}/class-rules"


async def _set(world: World, who: Caller, *rules: dict[str, Any]) -> Any:
    return world.saw(await world.client.put(
        _path(world), json={"rules": list(rules)}, headers={**world.fresh(who.headers), **idem()}
    ))  # fmt: skip


async def _table(world: World) -> dict[str, dict[str, Any]]:
    response = await world.client.get(_path(world), headers=world.fresh())
    assert response.status_code == 200, response.text
    return {r["class_type"]: r for r in response.json()["rules"]}


async def _regulator_of_another_city(world: World) -> Caller:
    city_id, phone = uuid.uuid4(), new_phone("139")
    await world.run(lambda uow, ctx: cities.register_city(
        uow, ctx.now, city_id=city_id, code="hangzhou", name="杭州市", timezone="Asia/Shanghai",
        districts=[District("330106", "西湖区", 1_000_000)],
    ))  # fmt: skip
    await world.run(lambda uow, ctx: cities.register_regulator(
        uow, ctx.now, phone=phone, display_name="杭州卫健委", password_hash=_PASSWORD_HASH,
        city_id=city_id, district_code=None,
    ))  # fmt: skip
    return await world.login(phone)


async def test_the_table_is_public_national_until_the_city_sets_its_own_and_names_each_class(
    world: World,
):
    national = await _table(world)
    assert national["toddler"] == {
        "class_type": "toddler", "class_name": "托小班", "min_age_months": 12,
        "max_age_months": 24, "max_class_size": 15, "children_per_carer": 5, "source": "national",
    }  # fmt: skip
    assert national["infant"]["class_name"] == "乳儿班" and len(national) == 5
    assert (await _set(world, await world.regulator(), TODDLERS_BY_FOUR)).status_code == 200
    table = await _table(world)
    assert (table["toddler"]["max_class_size"], table["toddler"]["children_per_carer"]) == (12, 4)
    assert table["toddler"]["source"] == "city" and table["infant"]["source"] == "national"
    unknown = await world.client.get(f"/v1/cities/{uuid.uuid4()}/class-rules")
    assert unknown.status_code == 404


async def test_a_looser_or_repeated_rule_is_refused_by_name_and_nothing_changes(world: World):
    regulator = await world.regulator()
    looser = [
        ({**TODDLERS_BY_FOUR, "children_per_carer": 6}, "rules[0].children_per_carer"),
        ({**TODDLERS_BY_FOUR, "max_class_size": 16}, "rules[0].max_class_size"),
        ({**TODDLERS_BY_FOUR, "min_age_months": 10}, "rules[0].min_age_months"),
        ({**TODDLERS_BY_FOUR, "min_age_months": 20, "max_age_months": 20},
         "rules[0].min_age_months"),
    ]  # fmt: skip
    for rule, field in looser:
        response = await _set(world, regulator, rule)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["field"] == field, response.json()
    twice = await _set(world, regulator, TODDLERS_BY_FOUR, TODDLERS_BY_FOUR)
    assert (twice.status_code, twice.json()["field"]) == (422, "rules[1].class_type")
    assert {r["source"] for r in (await _table(world)).values()} == {"national"}


async def test_only_a_regulator_of_the_whole_city_sets_its_rules(world: World):
    _, admin = await world.institution()
    refused = [
        await world.regulator("gusu"),  # a district's regulator
        await _regulator_of_another_city(world),
        admin,
        await world.guardian(),
    ]
    for who in refused:
        response = await _set(world, who, TODDLERS_BY_FOUR)
        assert response.status_code == 403, response.text
        assert response.json()["type"] == "/problems/forbidden"
    anonymous = await world.client.put(_path(world), json={"rules": [TODDLERS_BY_FOUR]},
                                       headers=idem())  # fmt: skip
    assert anonymous.status_code == 401
    assert {r["source"] for r in (await _table(world)).values()} == {"national"}


async def test_new_rooms_are_held_to_the_city_s_rule_and_take_its_ratio_by_default(world: World):
    institution_id, admin = await world.institution()
    assert (await _set(world, await world.regulator(), TODDLERS_BY_FOUR)).status_code == 200
    too_big = await world.add_room(institution_id, admin, class_type="toddler", capacity=15)
    assert too_big.status_code == 422 and too_big.json()["field"] == "capacity"
    assert too_big.json()["params"]["limit"] == 12
    added = await world.add_room(institution_id, admin, class_type="toddler", capacity=12)
    assert added.status_code == 201, added.text
    detail = await world.client.get(f"/v1/institutions/{institution_id}", headers=world.fresh())
    [room] = detail.json()["rooms"]
    assert (room["capacity"], room["children_per_carer"]) == (12, 4)


async def test_a_room_set_up_before_the_city_tightened_books_at_the_city_s_ratio_and_age(
    world: World,
):
    institution_id, room_id, _ = await bookable_room(world, capacity=15, staff=1)  # 1:5 room
    guardian = await world.guardian()
    toddlers = [await child_of(world, guardian) for _ in range(5)]  # 18 months old on DAY
    young = await child_of(world, guardian, months_before_day(14).isoformat())
    assert (await _set(world, await world.regulator(), {
        **TODDLERS_BY_FOUR, "min_age_months": 16,
    })).status_code == 200  # fmt: skip

    async def book(child: UUID) -> Any:
        body = booking_body(institution_id, room_id, child)
        return await world.post("/v1/bookings", body, guardian)

    for child in toddlers[:4]:
        assert (await book(child)).status_code == 201
    fifth = await book(toddlers[4])  # one carer, 1:4 in this city
    assert fifth.status_code == 409 and fifth.json()["type"] == "/problems/ratio-exceeded"
    assert (fifth.json()["params"]["minute"], fifth.json()["params"]["limit"]) == ("09:00", 4)
    too_young = await book(young)  # 14 months: the city's 托小班 starts at 16
    assert too_young.status_code == 409, too_young.text
    assert too_young.json()["type"] == "/problems/age-does-not-fit"

    assert str(institution_id) in await found_by_search(
        world, guardian, toddlers[4], "13:00", "15:00"
    )  # free then
    assert str(institution_id) not in await found_by_search(
        world, guardian, young, "13:00", "15:00"
    )


async def test_the_door_holds_children_booked_before_a_tightening_to_the_city_s_new_ratio(
    world: World,
):
    regulator = await world.regulator()
    room = await attending_room(world, children=5)  # booked at 1:5; one carer clocked in
    assert (await _set(world, regulator, TODDLERS_BY_FOUR)).status_code == 200
    for child in room.children[:4]:
        assert (await check_in(world, room, child)).status_code == 201
    fifth = await check_in(world, room, room.children[4])
    assert fifth.status_code == 409, fifth.text
    assert fifth.json()["type"] == "/problems/ratio-exceeded"


async def test_a_mixed_rooms_occupancy_shows_the_city_s_tighter_ratio_the_bookings_stop_at(
    world: World,
):
    """A mixed room, one carer: a child of 30 months booked at 1:7; the city then sets mixed
    classes to 1:5. The room-day's ratio capacity is 5, where the bookings stop."""
    institution_id, room_id, admin = await bookable_room(world, class_type="mixed",
                                                         capacity=18, staff=1)  # fmt: skip
    guardian = await world.guardian()
    born = months_before_day(30).isoformat()
    children = [await child_of(world, guardian, born) for _ in range(6)]

    async def book(child: UUID) -> Any:
        return await world.post("/v1/bookings", booking_body(institution_id, room_id, child),
                                guardian)  # fmt: skip

    assert (await book(children[0])).status_code == 201
    mixed = {"class_type": "mixed", "min_age_months": 18, "max_age_months": 36,
             "max_class_size": 18, "children_per_carer": 5}  # fmt: skip
    assert (await _set(world, await world.regulator(), mixed)).status_code == 200

    async def ratio_capacity_at_nine() -> int:
        response = await world.client.get(f"/v1/rooms/{room_id}/occupancy?date={DAY}",
                                          headers=world.fresh(admin.headers))  # fmt: skip
        [nine] = [s for s in response.json()["segments"] if s["start"] == "09:00"]
        return int(nine["ratio_capacity"])

    assert await ratio_capacity_at_nine() == 5
    assert [(await book(child)).status_code for child in children[1:]] == [201] * 4 + [409]
    assert await ratio_capacity_at_nine() == 5


async def _live_room(world: World, room: Any) -> dict[str, Any]:
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    response = await world.client.get(
        f"/v1/institutions/{room.institution_id}/occupancy/live",
        headers=world.fresh(room.admin.headers),
    )
    assert response.status_code == 200, response.text
    [seen] = response.json()["rooms"]
    return seen


async def test_children_present_when_a_city_tightens_count_at_the_new_ratio_in_the_live_view(
    world: World,
):
    regulator = await world.regulator()
    room = await attending_room(world, children=5)  # one carer: 5 children at 1:5
    for child in room.children:
        assert (await check_in(world, room, child)).status_code == 201
    assert (await _set(world, regulator, TODDLERS_BY_FOUR)).status_code == 200

    seen = await _live_room(world, room)
    assert (seen["required_staff"], seen["ratio_ok"]) == (2, False)


async def test_a_carer_leaving_after_a_tightening_raises_the_ratio_alarm_at_the_new_ratio(
    world: World,
):
    regulator = await world.regulator()
    room = await attending_room(world, children=5)
    second = await world.post("/v1/staff/clock-ins", {"room_id": str(room.room_id), "at": at()},
                              room.admin)  # fmt: skip
    assert second.status_code == 201, second.text
    for child in room.children:
        assert (await check_in(world, room, child)).status_code == 201
    assert (await _set(world, regulator, TODDLERS_BY_FOUR)).status_code == 200

    world.runtime.clock.at += timedelta(minutes=5)  # type: ignore[attr-defined]
    out = await world.post("/v1/staff/clock-outs", {"room_id": str(room.room_id), "at": at(5)},
                           room.admin)  # fmt: skip
    assert out.status_code == 201, out.text
    assert (await _live_room(world, room))["alarm"] == "ratio"  # 5 at 1:4 need 2 carers
