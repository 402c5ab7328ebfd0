"""Regular enrolment: a child's place on set weekdays for a term occupies the room like bookings."""

from __future__ import annotations

from backend.clock import FrozenClock
from tests.api.attendance_world import EXAMINED, caregiver_of
from tests.api.booking_world import (
    FULL_DAY,
    HOURLY,
    bookable_room,
    booking_body,
    child_of,
    enrolment,
    found_by_search,
)
from tests.api.days import DAY, NINE, day, months_before_day
from tests.api.world import World, idem


async def _post(world: World, path: str, body: dict, who) -> object:
    return world.saw(
        await world.client.post(path, json=body, headers={**world.fresh(who.headers), **idem()})
    )


async def _room(world: World, capacity: int = 1):
    return await bookable_room(world, capacity=capacity, staff=1, offers=[HOURLY, FULL_DAY])


async def test_an_enrolled_child_takes_the_place_on_its_weekdays_only(world: World):
    institution_id, room_id, admin = await _room(world)
    parent, other = await world.guardian(), await world.guardian()
    child, other_child = await child_of(world, parent), await child_of(world, other)
    enrolled = await _post(
        world, "/v1/enrolments", enrolment(institution_id, room_id, child), parent
    )
    assert enrolled.status_code == 201, enrolled.text  # type: ignore[attr-defined]
    [view] = (await world.client.get("/v1/enrolments", headers=world.fresh(parent.headers))).json()
    assert view["price_fen"] == 12000 * 13  # Mon/Wed/Fri of the 31 days from a Tuesday: 13
    assert view["care_type_zh"] == "全日托"

    wednesday = {**booking_body(institution_id, room_id, other_child), "date": day(1)}
    refused = await _post(world, "/v1/bookings", wednesday, other)
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert refused.json()["type"] == "/problems/room-full"  # type: ignore[attr-defined]
    tuesday = {**booking_body(institution_id, room_id, other_child), "date": DAY}
    assert (await _post(world, "/v1/bookings", tuesday, other)).status_code == 201  # type: ignore[attr-defined]

    occupancy = await world.client.get(
        f"/v1/rooms/{room_id}/occupancy?date={day(1)}", headers=world.fresh(admin.headers)
    )
    assert max(s["enrolled"] for s in occupancy.json()["segments"]) == 1


async def test_an_enrolment_clashing_with_a_full_day_in_its_term_is_refused_naming_the_day(
    world: World,
):
    institution_id, room_id, _ = await _room(world)
    parent, other = await world.guardian(), await world.guardian()
    child, other_child = await child_of(world, parent), await child_of(world, other)
    friday = {**booking_body(institution_id, room_id, other_child), "date": day(10)}
    assert (await _post(world, "/v1/bookings", friday, other)).status_code == 201  # type: ignore[attr-defined]
    refused = await _post(
        world, "/v1/enrolments", enrolment(institution_id, room_id, child), parent
    )
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert refused.json()["params"]["day"] == day(10)  # type: ignore[attr-defined]


async def test_a_child_with_a_regular_place_cannot_be_booked_elsewhere_at_the_same_time(
    world: World,
):
    institution_id, room_id, _ = await _room(world)
    other_institution, other_room, _ = await _room(world)
    parent = await world.guardian()
    child = await child_of(world, parent)
    await _post(world, "/v1/enrolments", enrolment(institution_id, room_id, child), parent)
    monday = {**booking_body(other_institution, other_room, child), "date": day(6)}
    clash = await _post(world, "/v1/bookings", monday, parent)
    assert clash.status_code == 409  # type: ignore[attr-defined]
    assert clash.json()["type"] == "/problems/child-already-booked"  # type: ignore[attr-defined]


async def test_ending_an_enrolment_early_frees_the_later_days(world: World):
    institution_id, room_id, _ = await _room(world)
    parent, other = await world.guardian(), await world.guardian()
    child, other_child = await child_of(world, parent), await child_of(world, other)
    enrolled = await _post(
        world, "/v1/enrolments", enrolment(institution_id, room_id, child), parent
    )
    enrolment_id = enrolled.json()["id"]  # type: ignore[attr-defined]
    stranger = await world.guardian()
    forbidden = await _post(
        world, f"/v1/enrolments/{enrolment_id}/end", {"last_day": day(14)}, stranger
    )
    assert forbidden.status_code == 403  # type: ignore[attr-defined]
    ended = await _post(world, f"/v1/enrolments/{enrolment_id}/end", {"last_day": day(14)}, parent)
    assert ended.status_code == 200, ended.text  # type: ignore[attr-defined]
    later = {**booking_body(institution_id, room_id, other_child), "date": day(15)}
    assert (await _post(world, "/v1/bookings", later, other)).status_code == 201  # type: ignore[attr-defined]


async def test_a_term_of_weekdays_the_institution_is_closed_is_refused(world: World):
    institution_id, room_id, _ = await _room(world)
    parent = await world.guardian()
    child = await child_of(world, parent)
    weekend = enrolment(institution_id, room_id, child, weekdays=[6])
    refused = await _post(world, "/v1/enrolments", weekend, parent)
    assert refused.status_code == 409  # type: ignore[attr-defined]


async def test_a_term_starting_on_a_day_gone_is_refused_and_nothing_is_taken(world: World):
    institution_id, room_id, admin = await _room(world)
    parent = await world.guardian()
    child = await child_of(world, parent)
    past = enrolment(institution_id, room_id, child, first_day=day(-14))
    refused = await _post(world, "/v1/enrolments", past, parent)
    assert refused.status_code == 422, refused.text  # type: ignore[attr-defined]
    assert refused.json()["field"] == "first_day"  # type: ignore[attr-defined]
    occupancy = await world.client.get(
        f"/v1/rooms/{room_id}/occupancy?date={day(1)}", headers=world.fresh(admin.headers)
    )
    assert max((s["enrolled"] for s in occupancy.json()["segments"]), default=0) == 0


async def test_staff_read_an_enrolled_childs_profile_and_other_institutions_do_not(
    world: World,
):
    institution_id, room_id, admin = await _room(world)
    _, _, other_admin = await _room(world)
    parent = await world.guardian()
    child = await child_of(world, parent)
    path = f"/v1/children/{child}"
    assert (await world.client.get(path, headers=world.fresh(admin.headers))).status_code == 403
    enrolled = await _post(
        world, "/v1/enrolments", enrolment(institution_id, room_id, child), parent
    )
    assert enrolled.status_code == 201, enrolled.text  # type: ignore[attr-defined]
    read = await world.client.get(path, headers=world.fresh(admin.headers))
    assert read.status_code == 200, read.text
    assert (
        await world.client.get(path, headers=world.fresh(other_admin.headers))
    ).status_code == 403
    log = (await world.client.get(f"{path}/access-log", headers=parent.headers)).json()
    assert [entry["role"] for entry in log] == ["institution_admin"]


async def test_a_closed_day_gives_each_regular_place_that_days_price_back_and_admits_nobody(
    world: World,
):
    institution_id, room_id, admin = await _room(world, capacity=2)
    caregiver = await caregiver_of(world, institution_id, admin)
    parent = await world.guardian()
    child = await child_of(world, parent)
    twin = await child_of(world, parent)
    for kid in (child, twin):
        body = enrolment(institution_id, room_id, kid, weekdays=[2, 3])
        enrolled = await _post(world, "/v1/enrolments", body, parent)
        assert enrolled.status_code == 201, enrolled.text  # type: ignore[attr-defined]
    record = {"kind": "admission", "examined_on": EXAMINED, "passed": True,
              "vaccination_checked": True}  # fmt: skip
    examined = await _post(world, f"/v1/children/{child}/health-records", record, admin)
    assert examined.status_code == 201, examined.text  # type: ignore[attr-defined]
    added = await world.post(f"/v1/children/{twin}/guardians",
                             {"phone": "13612340003", "display_name": "孩子爸爸"}, parent)  # fmt: skip
    assert added.status_code == 201, added.text
    father = await world.guardian("13612340003")  # a guardian of one twin only
    closure = await _post(world, f"/v1/institutions/{institution_id}/closures",
                          {"date": DAY, "reason": "停电检修", "room_id": str(room_id)}, admin)  # fmt: skip
    assert closure.status_code == 201, closure.text  # type: ignore[attr-defined]
    assert closure.json()["regular_places_refunded"] == 2  # type: ignore[attr-defined]
    again = await _post(world, f"/v1/institutions/{institution_id}/closures",
                        {"date": DAY, "reason": "全园停课"}, admin)  # fmt: skip
    assert again.json()["regular_places_refunded"] == 0  # type: ignore[attr-defined]
    notes = (await world.client.get("/v1/notifications",
                                    headers=world.fresh(parent.headers))).json()  # fmt: skip
    assert [n["body"] for n in notes if n["kind"] == "regular_day_closed"] == [
        f"{DAY} 停课，2个常规托位当天费用退还¥240.00。机构停课：停电检修"  # one notice, both twins
    ]
    told = (await world.client.get("/v1/notifications", headers=world.fresh(father.headers))).json()
    assert [n["body"] for n in told if n["kind"] == "regular_day_closed"] == [
        f"{DAY} 停课，常规托位当天费用退还¥120.00。机构停课：停电检修"  # his child's place only
    ]
    world.runtime.clock = FrozenClock(at=NINE)
    body = {"room_id": str(room_id), "at": NINE.isoformat()}
    clocked = await _post(world, "/v1/staff/clock-ins", body, caregiver)
    assert clocked.status_code == 201, clocked.text  # type: ignore[attr-defined]
    arrival = {"child_id": str(child), "room_id": str(room_id), "at": NINE.isoformat(),
               "health_check": {"temperature_c": 36.6}, "method": "manual"}  # fmt: skip
    refused = await _post(world, "/v1/attendance/check-ins", arrival, caregiver)
    assert refused.status_code == 409, refused.text  # type: ignore[attr-defined]
    assert refused.json()["type"] == "/problems/room-closed"  # type: ignore[attr-defined]


async def test_a_term_the_child_outgrows_or_is_too_young_for_is_refused_naming_the_day(
    world: World,
):
    institution_id, room_id, _ = await _room(world)  # 托小班: 12–24 months
    parent = await world.guardian()
    turns_two = await child_of(world, parent, birth=months_before_day(23).isoformat())
    whole_term = enrolment(institution_id, room_id, turns_two, last_day=day(40))
    refused = await _post(world, "/v1/enrolments", whole_term, parent)
    assert refused.status_code == 409, refused.text  # type: ignore[attr-defined]
    assert refused.json()["type"] == "/problems/age-does-not-fit"  # type: ignore[attr-defined]
    assert refused.json()["params"]["age_months"] == 24  # type: ignore[attr-defined]
    # named on the term's last day held, its last Friday (the 40th day is a Sunday)
    assert day(38) in refused.json()["detail"]  # type: ignore[attr-defined]
    eleven_months = await child_of(world, parent, birth=months_before_day(11).isoformat())
    young = enrolment(institution_id, room_id, eleven_months)
    assert (await _post(world, "/v1/enrolments", young, parent)).status_code == 409  # type: ignore[attr-defined]
    shorter = enrolment(institution_id, room_id, turns_two, last_day=day(20))
    accepted = await _post(world, "/v1/enrolments", shorter, parent)
    assert accepted.status_code == 201, accepted.text  # type: ignore[attr-defined]


async def test_a_regular_place_is_priced_and_refunded_by_the_offer_of_each_weekday(world: World):
    """Hourly care costs 30 元/h Monday to Wednesday and 50 元/h Thursday and Friday: a place on
    Tuesdays and Thursdays costs what a booking of each day would, and a closed Thursday
    gives that Thursday's price back."""
    early_week = {**HOURLY, "weekdays": [1, 2, 3]}
    late_week = {**HOURLY, "weekdays": [4, 5], "price_fen": 5000}
    institution_id, room_id, admin = await bookable_room(world, offers=[early_week, late_week])
    parent = await world.guardian()
    child, sibling = await child_of(world, parent), await child_of(world, parent)
    thursday = day(2)
    booked = await _post(world, "/v1/bookings",
                         {**booking_body(institution_id, room_id, sibling), "date": thursday},
                         parent)  # fmt: skip
    assert booked.json()["price_fen"] == 10000  # type: ignore[attr-defined]  # 2 h at 50 元
    body = enrolment(institution_id, room_id, child, care_type="hourly", weekdays=[2, 4],
                     first_day=DAY, last_day=thursday, start="09:00", end="11:00")  # fmt: skip
    enrolled = await _post(world, "/v1/enrolments", body, parent)
    assert enrolled.status_code == 201, enrolled.text  # type: ignore[attr-defined]
    [view] = (await world.client.get("/v1/enrolments", headers=world.fresh(parent.headers))).json()
    assert view["price_fen"] == 6000 + 10000  # a Tuesday at 30 元/h, a Thursday at 50 元/h
    closure = await _post(world, f"/v1/institutions/{institution_id}/closures",
                          {"date": thursday, "reason": "停电检修"}, admin)  # fmt: skip
    assert closure.status_code == 201, closure.text  # type: ignore[attr-defined]
    notes = (await world.client.get("/v1/notifications", headers=world.fresh(parent.headers))
             ).json()  # fmt: skip
    assert [n["body"] for n in notes if n["kind"] == "regular_day_closed"] == [
        f"{thursday} 停课，常规托位当天费用退还¥100.00。机构停课：停电检修"
    ]


async def test_a_regular_place_longer_than_the_offer_allows_a_visit_is_refused(world: World):
    """Hourly care is at most 300 minutes a visit: a place 08:30–17:00 is refused like a
    booking of those hours, naming the rule and the day."""
    institution_id, room_id, _ = await bookable_room(world)
    parent = await world.guardian()
    child = await child_of(world, parent)
    long_booking = await _post(world, "/v1/bookings",
                               booking_body(institution_id, room_id, child, "08:30", "17:00"),
                               parent)  # fmt: skip
    assert long_booking.json()["type"] == "/problems/not-bookable"  # type: ignore[attr-defined]
    enrolled = await _post(world, "/v1/enrolments",
                           enrolment(institution_id, room_id, child, care_type="hourly"), parent)  # fmt: skip
    assert enrolled.status_code == 409, enrolled.text  # type: ignore[attr-defined]
    problem = enrolled.json()  # type: ignore[attr-defined]
    assert (problem["type"], problem["field"]) == ("/problems/not-bookable", "end")
    assert "300 minutes" in problem["detail"]


async def test_a_regular_places_closed_day_frees_the_child_to_be_booked_elsewhere(world: World):
    """The usual room is closed (and paid back) on a Tuesday of the term: the family finds
    temporary care elsewhere for those hours, which the regular place no longer blocks."""
    institution_id, room_id, admin = await _room(world, capacity=2)
    elsewhere, elsewhere_room, _ = await bookable_room(world)
    parent = await world.guardian()
    child = await child_of(world, parent)
    body = enrolment(institution_id, room_id, child, weekdays=[2, 3])
    assert (await _post(world, "/v1/enrolments", body, parent)).status_code == 201  # type: ignore[attr-defined]
    other_care = booking_body(elsewhere, elsewhere_room, child)  # 09:00–11:00 on DAY, a Tuesday
    blocked = await _post(world, "/v1/bookings", other_care, parent)
    assert blocked.json()["type"] == "/problems/child-already-booked"  # type: ignore[attr-defined]
    closed = await _post(world, f"/v1/institutions/{institution_id}/closures",
                         {"date": DAY, "reason": "停电检修"}, admin)  # fmt: skip
    assert closed.json()["regular_places_refunded"] == 1  # type: ignore[attr-defined]
    booked = await _post(world, "/v1/bookings", other_care, parent)
    assert booked.status_code == 201, booked.text  # type: ignore[attr-defined]
    next_day = await _post(world, "/v1/bookings", {**other_care, "date": day(1)}, parent)
    assert next_day.json()["type"] == "/problems/child-already-booked"  # type: ignore[attr-defined]


async def test_a_term_enrolled_over_a_day_already_closed_leaves_the_child_free_that_day(
    world: World,
):
    """The room was closed on a Tuesday before the family enrolled: that day is not charged,
    and the child is free then, found by the search and booked elsewhere alike."""
    institution_id, room_id, admin = await _room(world, capacity=2)
    elsewhere, elsewhere_room, _ = await bookable_room(world)
    closed = await _post(world, f"/v1/institutions/{institution_id}/closures",
                         {"date": DAY, "reason": "消毒"}, admin)  # fmt: skip
    assert closed.status_code == 201, closed.text  # type: ignore[attr-defined]
    parent = await world.guardian()
    child = await child_of(world, parent)
    body = enrolment(institution_id, room_id, child, weekdays=[2, 3])
    assert (await _post(world, "/v1/enrolments", body, parent)).status_code == 201  # type: ignore[attr-defined]
    assert str(elsewhere) in await found_by_search(world, parent, child)
    other_care = booking_body(elsewhere, elsewhere_room, child)  # 09:00–11:00 on DAY, a Tuesday
    booked = await _post(world, "/v1/bookings", other_care, parent)
    assert booked.status_code == 201, booked.text  # type: ignore[attr-defined]
    next_day = await _post(world, "/v1/bookings", {**other_care, "date": day(1)}, parent)
    assert next_day.json()["type"] == "/problems/child-already-booked"  # type: ignore[attr-defined]
