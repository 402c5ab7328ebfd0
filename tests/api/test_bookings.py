"""Booking care over HTTP: the happy path, every refusal, cancellation refunds, and who may do what."""

from __future__ import annotations

import asyncio
from uuid import UUID

from tests.api.booking_world import (
    DAY,
    FULL_DAY,
    HOURLY,
    bookable_room,
    booking_body,
    child_of,
    many_children,
    put,
)
from tests.api.days import months_before_day
from tests.api.world import World, idem


async def test_a_guardian_books_hourly_care_and_sees_price_policy_and_history(world: World):
    institution_id, room_id, _ = await bookable_room(world)
    guardian = await world.guardian()
    child = await child_of(world, guardian)
    response = await world.post(
        "/v1/bookings", booking_body(institution_id, room_id, child), guardian
    )
    assert response.status_code == 201, response.text
    accepted = response.json()
    assert accepted["status"] == "confirmed" and accepted["price_fen"] == 6000
    assert "24小时" in accepted["refund_policy"]

    view = await world.client.get(
        f"/v1/bookings/{accepted['id']}", headers=world.fresh(guardian.headers)
    )
    assert view.status_code == 200, view.text
    body = view.json()
    assert body["care_type_zh"] == "计时托" and body["start"] == "09:00"
    assert [h["status"] for h in body["history"]] == ["requested", "confirmed"]
    mine = await world.client.get("/v1/bookings?when=upcoming", headers=guardian.headers)
    assert [b["id"] for b in mine.json()["items"]] == [accepted["id"]]


async def test_a_full_room_is_a_409_naming_the_rule_and_the_first_full_minute(world: World):
    institution_id, room_id, _ = await bookable_room(world, capacity=2, staff=1)
    guardian = await world.guardian()
    kids = await many_children(world, guardian, 3)
    for kid in kids[:2]:
        ok = await world.client.post(
            "/v1/bookings", json=booking_body(institution_id, room_id, kid, "09:30", "11:00"),
            headers={**guardian.headers, **idem()},
        )  # fmt: skip
        assert ok.status_code == 201, ok.text
    refused = await world.client.post(
        "/v1/bookings", json=booking_body(institution_id, room_id, kids[2], "09:00", "10:00"),
        headers={**guardian.headers, **idem()},
    )  # fmt: skip
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/room-full"
    assert refused.json()["params"]["minute"] == "09:30"


async def test_a_child_too_young_for_the_class_is_refused(world: World):
    institution_id, room_id, _ = await bookable_room(world, class_type="older_toddler", capacity=20)
    guardian = await world.guardian()
    baby = await child_of(world, guardian, birth=months_before_day(7).isoformat())
    response = await world.client.post(
        "/v1/bookings", json=booking_body(institution_id, room_id, baby),
        headers={**world.fresh(guardian.headers), **idem()},
    )  # fmt: skip
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/age-does-not-fit"


async def test_the_same_child_cannot_be_in_two_places_at_once(world: World):
    institution_id, room_id, _ = await bookable_room(world)
    other_institution, other_room, _ = await bookable_room(world)
    guardian = await world.guardian()
    child = await child_of(world, guardian)
    first = await world.client.post(
        "/v1/bookings", json=booking_body(institution_id, room_id, child, "09:00", "11:00"),
        headers={**world.fresh(guardian.headers), **idem()},
    )  # fmt: skip
    assert first.status_code == 201
    clash = await world.client.post(
        "/v1/bookings", json=booking_body(other_institution, other_room, child, "10:00", "12:00"),
        headers={**guardian.headers, **idem()},
    )  # fmt: skip
    assert clash.status_code == 409
    assert clash.json()["type"] == "/problems/child-already-booked"


async def test_a_refund_policy_published_after_booking_does_not_change_that_bookings_refund(
    world: World,
):
    institution_id, room_id, admin = await bookable_room(world)
    guardian = await world.guardian()
    [child] = await many_children(world, guardian, 1)
    booked = await world.post("/v1/bookings", booking_body(institution_id, room_id, child),
                              guardian)  # fmt: skip
    assert booked.status_code == 201, booked.text
    stricter = {"full_refund_hours_before": 24 * 30, "late_refund_percent": 0}
    await put(world, f"/v1/institutions/{institution_id}/refund-policy", stricter, admin)
    later = await world.post("/v1/bookings", booking_body(institution_id, room_id, child,
                                                          start="13:00", end="15:00"), guardian)  # fmt: skip
    assert later.status_code == 201, later.text
    refunds = []
    for booking in (booked, later):  # each under the policy shown when it was made (ADR 0014)
        cancelled = await world.post(f"/v1/bookings/{booking.json()['id']}/cancel",
                                     {"reason": "行程变化"}, guardian)  # fmt: skip
        assert cancelled.status_code == 200, cancelled.text
        refunds.append(cancelled.json()["refund_fen"])
    assert refunds == [6000, 0]


async def test_in_a_mixed_room_a_child_under_two_holds_every_child_to_the_stricter_ratio(
    world: World,
):
    institution_id, room_id, _ = await bookable_room(world, class_type="mixed", staff=1)
    guardian = await world.guardian()
    older = [await child_of(world, guardian, months_before_day(30).isoformat()) for _ in range(6)]
    younger = await child_of(world, guardian, months_before_day(20).isoformat())

    async def book(child: UUID):
        return await world.post("/v1/bookings", booking_body(institution_id, room_id, child),
                                guardian)  # fmt: skip

    for child in older[:5]:
        assert (await book(child)).status_code == 201
    refused = await book(younger)  # six children, one carer, one of them under 24 months: 1:5
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"] == "/problems/ratio-exceeded"
    assert (refused.json()["params"]["minute"], refused.json()["params"]["limit"]) == ("09:00", 5)
    assert (await book(older[5])).status_code == 201  # six of 30 months: 1:7 holds


async def test_cancelling_refunds_by_the_policy_and_frees_the_place(world: World):
    institution_id, room_id, _ = await bookable_room(world, capacity=1, staff=1)
    guardian = await world.guardian()
    first, second = await many_children(world, guardian, 2)
    booked = world.saw(
        await world.client.post(
            "/v1/bookings",
            json=booking_body(institution_id, room_id, first),
            headers={**guardian.headers, **idem()},
        )  # fmt: skip
    ).json()
    preview = await world.client.get(
        f"/v1/bookings/{booked['id']}/refund-preview", headers=world.fresh(guardian.headers)
    )
    assert preview.json()["refund_fen"] == 6000  # days ahead: full refund
    cancelled = world.saw(
        await world.client.post(
            f"/v1/bookings/{booked['id']}/cancel",
            json={"reason": "孩子发烧"},
            headers={**world.fresh(guardian.headers), **idem()},
        )  # fmt: skip
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["refund_fen"] == 6000
    again = await world.client.post(
        "/v1/bookings", json=booking_body(institution_id, room_id, second),
        headers={**guardian.headers, **idem()},
    )  # fmt: skip
    assert again.status_code == 201
    view = await world.client.get(
        f"/v1/bookings/{booked['id']}", headers=world.fresh(guardian.headers)
    )
    assert view.json()["status"] == "cancelled"
    assert view.json()["history"][-1]["status"] == "cancelled"


async def test_another_family_cannot_book_view_or_cancel_my_child(world: World):
    institution_id, room_id, _ = await bookable_room(world)
    parent, stranger = await world.guardian(), await world.guardian()
    child = await child_of(world, parent)
    body = booking_body(institution_id, room_id, child)
    response = await world.client.post(
        "/v1/bookings", json=body, headers={**world.fresh(stranger.headers), **idem()}
    )
    assert response.status_code == 403
    booked = world.saw(
        await world.client.post("/v1/bookings", json=body, headers={**parent.headers, **idem()})
    ).json()
    path = f"/v1/bookings/{booked['id']}"
    assert (await world.client.get(path, headers=world.fresh(stranger.headers))).status_code == 403
    cancel = await world.client.post(
        f"{path}/cancel", json={}, headers={**world.fresh(stranger.headers), **idem()}
    )
    assert cancel.status_code == 403
    child_view = await world.client.get(f"/v1/children/{child}", headers=stranger.headers)
    assert child_view.status_code == 403


async def test_a_caregiver_cannot_book_and_another_institutions_admin_cannot_see_bookings(
    world: World,
):
    institution_id, room_id, admin = await bookable_room(world)
    _, _, other_admin = await bookable_room(world)
    guardian = await world.guardian()
    child = await child_of(world, guardian)
    booked = (
        await world.post("/v1/bookings", booking_body(institution_id, room_id, child), guardian)
    ).json()
    as_admin = await world.client.post(
        "/v1/bookings", json=booking_body(institution_id, room_id, child),
        headers={**admin.headers, **idem()},
    )  # fmt: skip
    assert as_admin.status_code == 403
    day_list = f"/v1/institutions/{institution_id}/bookings?date={DAY}"
    assert (
        await world.client.get(day_list, headers=world.fresh(other_admin.headers))
    ).status_code == 403
    assert (
        await world.client.get(f"/v1/bookings/{booked['id']}", headers=other_admin.headers)
    ).status_code == 403
    own = await world.client.get(day_list, headers=world.fresh(admin.headers))
    assert [b["id"] for b in own.json()["items"]] == [booked["id"]]


async def test_an_admin_cancelling_refunds_in_full(world: World):
    institution_id, room_id, admin = await bookable_room(world)
    guardian = await world.guardian()
    child = await child_of(world, guardian)
    booked = (
        await world.post("/v1/bookings", booking_body(institution_id, room_id, child), guardian)
    ).json()
    cancelled = await world.client.post(
        f"/v1/bookings/{booked['id']}/cancel", json={"reason": "停水"},
        headers={**world.fresh(admin.headers), **idem()},
    )  # fmt: skip
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["refund_fen"] == booked["price_fen"]


async def test_a_guardian_cancelling_gets_a_receipt_and_the_other_guardian_is_told(world: World):
    institution_id, room_id, _ = await bookable_room(world)
    mother, stranger = await world.guardian(), await world.guardian()
    child = await child_of(world, mother)
    added = await world.post(f"/v1/children/{child}/guardians",
                             {"phone": "13612340003", "display_name": "孩子爸爸"}, mother)  # fmt: skip
    assert added.status_code == 201, added.text
    father = await world.guardian("13612340003")
    booked = (
        await world.post("/v1/bookings", booking_body(institution_id, room_id, child), mother)
    ).json()
    cancelled = await world.post(f"/v1/bookings/{booked['id']}/cancel", {"reason": "改期"}, father)
    assert cancelled.status_code == 200, cancelled.text
    refund = cancelled.json()["refund_fen"]

    async def latest(who) -> dict:
        notes = await world.client.get("/v1/notifications", headers=world.fresh(who.headers))
        return dict(notes.json()[0])

    receipt, word = await latest(father), await latest(mother)
    assert receipt["kind"] == word["kind"] == "cancelled_by_guardian"
    assert receipt["booking_id"] == word["booking_id"] == booked["id"]
    assert receipt["body"].startswith("您已取消")
    assert "另一位监护人已取消" in word["body"]
    assert all(f"退款¥{refund // 100}.{refund % 100:02d}" in n["body"] for n in (receipt, word))
    told = await world.client.get("/v1/notifications", headers=world.fresh(stranger.headers))
    assert told.json() == []


async def test_two_hundred_parents_racing_for_thirty_child_slots_get_exactly_thirty(world: World):
    # 15 places (and 3 carers × 5) in the morning and 15 in the afternoon: 30 child-slots.
    institution_id, room_id, admin = await bookable_room(world, capacity=15, staff=3)
    guardian = await world.guardian()
    kids = await many_children(world, guardian, 200)
    halves = [("08:30", "12:00"), ("13:00", "16:30")]
    responses = await asyncio.gather(
        *(
            world.client.post(
                "/v1/bookings",
                json=booking_body(institution_id, room_id, kid, *halves[i % 2]),
                headers={**guardian.headers, **idem()},
            )
            for i, kid in enumerate(kids)
        )
    )
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 30, sorted(set(statuses))
    assert statuses.count(409) == 170
    head = await world.runtime.store.head_position()
    assert await world.runtime.projector.wait_until(head)
    events = await world.runtime.pool.fetchval(
        "SELECT count(*) FROM events WHERE topic LIKE '%RoomDay.CareBooked'"
    )
    rows = await world.runtime.pool.fetchval(
        "SELECT count(*) FROM rm_bookings WHERE room_id = $1 AND status = 'confirmed'", room_id
    )
    assert events == rows == 30
    occupancy = await world.client.get(
        f"/v1/rooms/{room_id}/occupancy?date={DAY}", headers=world.fresh(admin.headers)
    )
    assert occupancy.status_code == 200, occupancy.text
    assert max(s["booked"] for s in occupancy.json()["segments"]) == 15


async def test_the_same_key_replayed_twenty_times_at_once_books_once(world: World):
    institution_id, room_id, _ = await bookable_room(world)
    guardian = await world.guardian()
    child = await child_of(world, guardian)
    headers = {**world.fresh(guardian.headers), "Idempotency-Key": "tap-booking-42"}
    body = booking_body(institution_id, room_id, child)
    responses = await asyncio.gather(
        *(world.client.post("/v1/bookings", json=body, headers=headers) for _ in range(20))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    count = await world.runtime.pool.fetchval(
        "SELECT count(*) FROM events WHERE topic LIKE '%RoomDay.CareBooked'"
    )
    assert count == 1
    assert UUID(responses[0].json()["id"])


async def test_one_key_sent_at_once_with_a_refused_request_and_another_never_gives_the_other_the_refusal(
    world: World,
):
    institution_id, room_id, _ = await bookable_room(world, capacity=1, staff=1)
    guardian = await world.guardian()
    first, refused, other = await many_children(world, guardian, 3)
    filled = await world.post(
        "/v1/bookings", booking_body(institution_id, room_id, first), guardian
    )
    assert filled.status_code == 201, filled.text
    headers = {**world.fresh(guardian.headers), "Idempotency-Key": "one-key-two-requests"}
    full, noon = await asyncio.gather(
        world.client.post("/v1/bookings", headers=headers,
                          json=booking_body(institution_id, room_id, refused)),
        world.client.post("/v1/bookings", headers=headers,
                          json=booking_body(institution_id, room_id, other, "12:00", "13:00")),
    )  # fmt: skip
    # Whichever came first gets its own answer, the other is told the key is taken: the noon
    # booking is never answered with the other request's "the room is full at 09:00".
    assert (full.status_code, noon.status_code) in ((409, 422), (422, 201)), noon.text
    reused = noon if noon.status_code == 422 else full
    assert "different request" in reused.json()["detail"]


async def test_availability_lists_nearby_rooms_that_can_take_the_child_with_price_and_policy(
    world: World,
):
    institution_id, room_id, _ = await bookable_room(world)
    full_institution, full_room, _ = await bookable_room(world, capacity=1, staff=1)
    guardian = await world.guardian()
    child, other = await many_children(world, guardian, 2)
    filler = await world.client.post(
        "/v1/bookings", json=booking_body(full_institution, full_room, other),
        headers={**world.fresh(guardian.headers), **idem()},
    )  # fmt: skip
    assert filler.status_code == 201
    world.saw(filler)
    query = (
        f"/v1/availability?lat=31.3195&lng=120.6290&radius_km=3&date={DAY}"
        f"&start=09:00&end=11:00&child_id={child}"
    )
    response = await world.client.get(query, headers=world.fresh(guardian.headers))
    assert response.status_code == 200, response.text
    found = response.json()
    assert [i["institution_id"] for i in found] == [str(institution_id)]
    room = found[0]["rooms"][0]
    assert room["room_id"] == str(room_id) and room["price_fen"] == 6000
    assert room["care_type_zh"] == "计时托" and room["class_type_zh"] == "托小班"
    assert "全额退款" in found[0]["refund_policy"]


async def test_availability_lists_no_room_the_childs_own_day_rules_out(world: World):
    """What the booking would refuse, the search does not list: a time the child is booked
    elsewhere, or more hours in a room than its offer allows a child a day (hourly: 480)."""
    institution_id, room_id, _ = await bookable_room(world)
    elsewhere, elsewhere_room, _ = await bookable_room(world)
    guardian = await world.guardian()
    [child] = await many_children(world, guardian, 1)

    async def rooms_for(start: str, end: str) -> set[str]:
        query = (f"/v1/availability?lat=31.3195&lng=120.6290&radius_km=3&date={DAY}"
                 f"&start={start}&end={end}&child_id={child}")  # fmt: skip
        found = await world.client.get(query, headers=world.fresh(guardian.headers))
        return {r["room_id"] for i in found.json() for r in i["rooms"]}

    morning = booking_body(elsewhere, elsewhere_room, child, "08:00", "13:00")
    assert (await world.post("/v1/bookings", morning, guardian)).status_code == 201
    assert await rooms_for("09:00", "11:00") == set()  # booked elsewhere then
    assert await rooms_for("13:00", "16:00") == {str(room_id), str(elsewhere_room)}
    assert await rooms_for("13:00", "16:30") == {str(room_id)}  # 5 h there already, 3.5 more
    more = booking_body(elsewhere, elsewhere_room, child, "13:00", "16:30")
    refused = await world.post("/v1/bookings", more, guardian)
    assert refused.json()["type"] == "/problems/not-bookable"
    here = booking_body(institution_id, room_id, child, "13:00", "16:30")
    assert (await world.post("/v1/bookings", here, guardian)).status_code == 201


async def test_each_care_types_hours_a_day_count_alone_in_the_search_and_the_booking_alike(
    world: World,
):
    """4.5 h of full-day care in the morning take none of the 8 h of hourly care the room
    allows a child a day: 4 h of hourly care after it are found and booked."""
    institution_id, room_id, _ = await bookable_room(world, offers=[HOURLY, FULL_DAY])
    guardian = await world.guardian()
    [child] = await many_children(world, guardian, 1)
    morning = {**booking_body(institution_id, room_id, child, "08:00", "12:30"),
               "care_type": "full_day"}  # fmt: skip
    assert (await world.post("/v1/bookings", morning, guardian)).status_code == 201
    found = await world.client.get(
        "/v1/availability", headers=world.fresh(guardian.headers),
        params={"lat": 31.3195, "lng": 120.6290, "radius_km": 3, "date": DAY, "start": "13:00",
                "end": "17:00", "child_id": str(child), "care_type": "hourly"},
    )  # fmt: skip
    assert [r["room_id"] for i in found.json() for r in i["rooms"]] == [str(room_id)]
    afternoon = booking_body(institution_id, room_id, child, "13:00", "17:00")
    assert (await world.post("/v1/bookings", afternoon, guardian)).status_code == 201


async def test_a_room_searched_then_filled_by_another_family_is_not_offered_until_it_frees(
    world: World,
):
    institution_id, room_id, _ = await bookable_room(world, capacity=1, staff=1)
    searcher, other = await world.guardian(), await world.guardian()
    [child] = await many_children(world, searcher, 1)
    [rival] = await many_children(world, other, 1)
    query = (
        f"/v1/availability?lat=31.3195&lng=120.6290&radius_km=3&date={DAY}"
        f"&start=10:00&end=12:00&child_id={child}"
    )

    async def offered() -> list[str]:
        found = await world.client.get(query, headers=world.fresh(searcher.headers))
        assert found.status_code == 200, found.text
        return [i["institution_id"] for i in found.json()]

    assert await offered() == [str(institution_id)]  # who is present there is now kept
    booked = world.saw(
        await world.client.post(
            "/v1/bookings",
            json=booking_body(institution_id, room_id, rival),
            headers={**other.headers, **idem()},
        )  # fmt: skip
    )
    assert booked.status_code == 201, booked.text
    assert await offered() == []
    world.saw(
        await world.client.post(
            f"/v1/bookings/{booked.json()['id']}/cancel",
            json={"reason": "改期"},
            headers={**world.fresh(other.headers), **idem()},
        )  # fmt: skip
    )
    assert await offered() == [str(institution_id)]


async def test_availability_for_someone_elses_child_is_refused(world: World):
    await bookable_room(world)
    parent, stranger = await world.guardian(), await world.guardian()
    child = await child_of(world, parent)
    response = await world.client.get(
        f"/v1/availability?lat=31.3&lng=120.6&date={DAY}&start=09:00&end=10:00&child_id={child}",
        headers=world.fresh(stranger.headers),
    )
    assert response.status_code == 403


async def test_a_co_guardian_added_after_a_search_searches_at_once_and_a_stranger_never(
    world: World,
):
    await bookable_room(world)
    parent, stranger = await world.guardian(), await world.guardian()
    child = await child_of(world, parent)
    query = f"/v1/availability?lat=31.3&lng=120.6&date={DAY}&start=09:00&end=10:00&child_id={child}"

    async def search(headers: dict[str, str]) -> int:
        return (await world.client.get(query, headers=world.fresh(headers))).status_code

    assert await search(parent.headers) == 200  # the child is now kept in process
    assert await search(stranger.headers) == 403
    added = await world.post(f"/v1/children/{child}/guardians",
                             {"phone": "13612340001", "display_name": "孩子爸爸"}, parent)  # fmt: skip
    assert added.status_code == 201, added.text
    assert await search((await world.guardian("13612340001")).headers) == 200
    assert await search(stranger.headers) == 403


async def test_closing_a_room_cancels_its_bookings_with_full_refunds_and_stops_new_ones(
    world: World,
):
    institution_id, room_id, admin = await bookable_room(world)
    guardian = await world.guardian()
    first, second = await many_children(world, guardian, 2)
    booked = world.saw(
        await world.client.post(
            "/v1/bookings",
            json=booking_body(institution_id, room_id, first),
            headers={**world.fresh(guardian.headers), **idem()},
        )  # fmt: skip
    ).json()
    closure = world.saw(
        await world.client.post(
            f"/v1/institutions/{institution_id}/closures",
            json={"date": DAY, "room_id": str(room_id), "reason": "停水检修"},
            headers={**world.fresh(admin.headers), **idem()},
        )
    )
    assert closure.status_code == 201, closure.text
    assert closure.json()["cancelled"] == 1
    view = (
        await world.client.get(
            f"/v1/bookings/{booked['id']}", headers=world.fresh(guardian.headers)
        )
    ).json()
    assert view["status"] == "cancelled" and view["refund_fen"] == booked["price_fen"]
    assert "停水检修" in view["history"][-1]["detail"]
    refused = await world.client.post(
        "/v1/bookings", json=booking_body(institution_id, room_id, second),
        headers={**guardian.headers, **idem()},
    )  # fmt: skip
    assert refused.status_code == 409
    assert "停水检修" in refused.json()["detail"]
    nearby = await world.client.get(
        f"/v1/availability?lat=31.3195&lng=120.6290&date={DAY}&start=09:00&end=10:00"
        f"&child_id={second}",
        headers=world.fresh(guardian.headers),
    )
    assert nearby.json() == []


async def test_a_guardian_cannot_close_an_institution(world: World):
    institution_id, _, _ = await bookable_room(world)
    guardian = await world.guardian()
    response = await world.client.post(
        f"/v1/institutions/{institution_id}/closures",
        json={"date": DAY, "reason": "x"},
        headers={**guardian.headers, **idem()},
    )
    assert response.status_code == 403


async def test_a_forbidden_booking_in_the_rush_is_refused_alone(world: World):
    institution_id, room_id, _ = await bookable_room(world)
    parent, stranger = await world.guardian(), await world.guardian()
    kids = await many_children(world, parent, 6)
    bodies = [booking_body(institution_id, room_id, kid) for kid in kids]
    callers = [stranger if i == 2 else parent for i in range(6)]  # one tries another's child
    responses = await asyncio.gather(
        *(
            world.client.post("/v1/bookings", json=body, headers={**who.headers, **idem()})
            for body, who in zip(bodies, callers, strict=True)
        )
    )
    assert [r.status_code for r in responses] == [201, 201, 403, 201, 201, 201]


async def test_an_institutions_day_of_bookings_comes_a_page_at_a_time(world: World):
    institution_id, room_id, admin = await bookable_room(world)
    guardian = await world.guardian()
    for child in await many_children(world, guardian, 3):
        booked = await world.post("/v1/bookings", booking_body(institution_id, room_id, child),
                                  guardian)  # fmt: skip
        assert booked.status_code == 201, booked.text
    day_list = f"/v1/institutions/{institution_id}/bookings?date={DAY}"
    pages = [
        (
            await world.client.get(
                f"{day_list}&limit=2&offset={offset}", headers=world.fresh(admin.headers)
            )
        ).json()  # fmt: skip
        for offset in (0, 2, 4)
    ]
    assert [(len(p["items"]), p["total"]) for p in pages] == [(2, 3), (1, 3), (0, 3)]
    assert len({b["id"] for p in pages for b in p["items"]}) == 3
    too_big = await world.client.get(f"{day_list}&limit=500", headers=world.fresh(admin.headers))
    assert too_big.status_code == 400 and "limit" in too_big.text
