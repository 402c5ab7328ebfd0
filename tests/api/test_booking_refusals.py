"""Refusals over HTTP: bad booking input and bad booking terms are a 4xx problem naming the
field and the rule, with nothing written; staff cannot act for a family; occupancy is for the
room's own staff; a closure cancels the day's bookings with a full refund and tells the family."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from tests.api.attendance_world import caregiver_of
from tests.api.booking_world import (
    FULL_DAY,
    HOURLY,
    bookable_room,
    booking_body,
    child_of,
    enrolment,
    put,
)
from tests.api.days import DAY, day
from tests.api.world import Caller, World, idem

WIDE_HOURLY = {**HOURLY, "opens": "07:00", "closes": "20:00"}  # wider than the 08:00–17:30 hours
SHIFT = {"weekday": 2, "starts": "08:00", "ends": "17:30", "staff": 3}


def assert_refused(response: Any, status: int, kind: str, field: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert (problem["type"], problem.get("field"), problem["status"]) == (
        f"/problems/{kind}", field, status,
    )  # fmt: skip
    return problem


async def send(world: World, method: str, path: str, body: dict[str, Any], who: Caller) -> Any:
    if method == "post":
        return await world.post(path, body, who)
    headers = {**world.fresh(who.headers), **idem()}
    return world.saw(await world.client.put(path, json=body, headers=headers))


async def head(world: World) -> int:
    return await world.runtime.store.head_position()


@pytest.mark.parametrize(
    ("change", "status", "kind", "field", "rule"),
    [
        ({"start": "11:00", "end": "09:00"}, 422, "invalid-value", "end", "end after it starts"),
        ({"date": day(-14)}, 409, "not-bookable", "start", "minutes ahead"),
        ({"date": "2026-02-30"}, 400, "validation", "date", ""),
        ({"care_type": "nanny"}, 400, "validation", "care_type", ""),
        ({"care_type": "weekend"}, 409, "not-bookable", "care_type", "offers no weekend"),
        ({"start": "9am"}, 400, "validation", "start", ""),
        ({"start": "07:00", "end": "08:30"}, 409, "not-bookable", "start", "opening hours"),
        ({"start": "19:00", "end": "21:00"}, 409, "not-bookable", "start", "offered 07:00–20:00"),
        ({"start": "08:00", "end": "14:00"}, 409, "not-bookable", "end", "300 minutes per visit"),
    ],
    ids=[
        "end-before-start",
        "past-date",
        "no-such-date",
        "unknown-care-type",
        "care-type-not-offered",
        "malformed-time",
        "before-opening",
        "outside-offer-window",
        "longer-than-a-visit",
    ],  # fmt: skip
)
async def test_a_bad_booking_is_refused_naming_the_field_and_rule_and_nothing_is_booked(
    world: World, change: dict[str, Any], status: int, kind: str, field: str, rule: str
):
    institution_id, room_id, _ = await bookable_room(world, offers=[WIDE_HOURLY])
    guardian = await world.guardian()
    child = await child_of(world, guardian)
    before = await head(world)
    body = {**booking_body(institution_id, room_id, child), **change}
    problem = assert_refused(await world.post("/v1/bookings", body, guardian), status, kind, field)
    assert rule in problem["detail"]
    assert await head(world) == before
    for when in ("upcoming", "past"):
        mine = await world.client.get(
            f"/v1/bookings?when={when}", headers=world.fresh(guardian.headers)
        )
        assert mine.json()["total"] == 0


TERMS = "/v1/institutions/{institution}"
OFFERS, ROSTER = TERMS + "/rooms/{room}/offers", TERMS + "/rooms/{room}/roster"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "kind", "field"),
    [
        ("put", OFFERS, {"offers": [{**HOURLY, "opens": "17:30", "closes": "08:00"}]},
         422, "invalid-value", "offers[0].opens"),
        ("put", OFFERS, {"offers": [{**HOURLY, "price_fen": -1}]},
         400, "validation", "offers[0].price_fen"),
        ("put", OFFERS, {"offers": [{**HOURLY, "weekdays": [1, 8]}]},
         400, "validation", "offers[0].weekdays[1]"),
        ("put", ROSTER, {"shifts": [{**SHIFT, "starts": "17:30", "ends": "08:00"}]},
         422, "invalid-value", "shifts[0].starts"),
        ("put", ROSTER, {"shifts": [{**SHIFT, "staff": 0}]}, 400, "validation", "shifts[0].staff"),
        ("put", ROSTER, {"shifts": [{**SHIFT, "staff": -2}]}, 400, "validation", "shifts[0].staff"),
        ("put", TERMS + "/refund-policy",
         {"full_refund_hours_before": 24, "late_refund_percent": 101},
         400, "validation", "late_refund_percent"),
        ("put", TERMS + "/refund-policy",
         {"full_refund_hours_before": -1, "late_refund_percent": 50},
         400, "validation", "full_refund_hours_before"),
        ("put", TERMS + "/booking-settings", {"no_show_after_minutes": -5},
         400, "validation", "no_show_after_minutes"),
        ("put", TERMS + "/booking-settings", {"check_in_tolerance_minutes": -1},
         400, "validation", "check_in_tolerance_minutes"),
        ("put", TERMS + "/booking-settings", {"nap_check_minutes": 20},
         400, "validation", "nap_check_minutes"),
        ("post", TERMS + "/closures", {"date": "2026-13-01", "reason": "停水"},
         400, "validation", "date"),
        ("post", TERMS + "/closures", {"date": DAY, "reason": "   "},
         422, "invalid-value", "reason"),
        ("post", TERMS + "/closures", {"date": day(-14), "reason": "停水"},
         422, "invalid-value", "date"),
    ],
    ids=["offer-closes-before-it-opens", "offer-negative-price", "offer-unknown-weekday",
         "shift-ends-before-it-starts", "shift-no-staff", "shift-negative-staff",
         "refund-over-100-percent", "refund-negative-hours", "settings-negative-no-show",
         "settings-negative-tolerance", "settings-naps-checked-too-rarely", "closure-no-such-date", "closure-blank-reason",
         "closure-in-the-past"],
)  # fmt: skip
async def test_bad_booking_terms_are_refused_naming_the_field_and_nothing_is_written(
    world: World, method: str, path: str, body: dict[str, Any], status: int, kind: str,
    field: str,
):  # fmt: skip
    institution_id, room_id, admin = await bookable_room(world)
    before = await head(world)
    url = path.format(institution=institution_id, room=room_id)
    assert_refused(await send(world, method, url, body, admin), status, kind, field)
    assert await head(world) == before


async def test_a_waitlist_or_enrolment_with_a_bad_term_or_weekdays_names_the_field(world: World):
    institution_id, room_id, _ = await bookable_room(world, offers=[HOURLY, FULL_DAY])
    guardian = await world.guardian()
    child = await child_of(world, guardian)
    before = await head(world)
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        ({"last_day": day(-1)}, 422, "invalid-value", "last_day"),
        ({"weekdays": []}, 400, "validation", "weekdays"),
        ({"weekdays": [0]}, 400, "validation", "weekdays[0]"),
        ({"start": "17:00", "end": "08:30"}, 422, "invalid-value", "end"),
    ]
    for change, status, kind, field in cases:
        body = enrolment(institution_id, room_id, child, **change)
        assert_refused(await world.post("/v1/enrolments", body, guardian), status, kind, field)
    waiting = {**booking_body(institution_id, room_id, child), "care_type": "nanny"}
    assert_refused(await world.post("/v1/waitlist", waiting, guardian), 400, "validation",
                   "care_type")  # fmt: skip
    assert await head(world) == before
    assert (
        await world.client.get("/v1/enrolments", headers=world.fresh(guardian.headers))
    ).json() == []
    assert (
        await world.client.get("/v1/waitlist", headers=world.fresh(guardian.headers))
    ).json() == []


@pytest.mark.parametrize(
    ("change", "status", "kind", "field"),
    [
        ({"start": "11:00", "end": "09:00"}, 422, "invalid-value", "end"),
        ({"start": "18:00", "end": "19:00"}, 409, "not-bookable", "start"),
    ],
    ids=["end-before-start", "after-closing"],
)  # fmt: skip
async def test_a_waitlist_entry_for_times_no_booking_could_have_is_refused(
    world: World, change: dict[str, Any], status: int, kind: str, field: str
):
    """A place waited for is held to the visit's own rules as a booking is (RoomDay.check_visit):
    the end after the start, opening hours, notice."""
    institution_id, room_id, _ = await bookable_room(
        world, capacity=1, staff=1, offers=[WIDE_HOURLY]
    )
    first, second = await world.guardian(), await world.guardian()
    filler = booking_body(institution_id, room_id, await child_of(world, first))
    assert (await world.post("/v1/bookings", filler, first)).status_code == 201
    body = {**booking_body(institution_id, room_id, await child_of(world, second)), **change}
    assert_refused(await world.post("/v1/waitlist", body, second), status, kind, field)
    assert (
        await world.client.get("/v1/waitlist", headers=world.fresh(second.headers))
    ).json() == []


async def test_a_caregiver_cannot_book_wait_or_enrol_a_child_that_is_not_theirs(world: World):
    institution_id, room_id, admin = await bookable_room(world, offers=[HOURLY, FULL_DAY])
    caregiver = await caregiver_of(world, institution_id, admin)
    guardian = await world.guardian()
    child = await child_of(world, guardian)
    before = await head(world)
    booking = booking_body(institution_id, room_id, child)
    for path, body in (("/v1/bookings", booking), ("/v1/waitlist", booking),
                       ("/v1/enrolments", enrolment(institution_id, room_id, child))):  # fmt: skip
        assert_refused(await world.post(path, body, caregiver), 403, "forbidden", None)
    assert await head(world) == before
    day_list = await world.client.get(
        f"/v1/institutions/{institution_id}/bookings?date={DAY}", headers=world.fresh(admin.headers)
    )
    assert day_list.json()["items"] == [] and day_list.json()["total"] == 0


async def test_room_occupancy_is_for_the_rooms_own_staff_only(world: World):
    institution_id, room_id, admin = await bookable_room(world)
    _, _, other_admin = await bookable_room(world)
    caregiver = await caregiver_of(world, institution_id, admin)
    guardian, regulator = await world.guardian(), await world.regulator()
    path = f"/v1/rooms/{room_id}/occupancy?date={DAY}"
    for outsider in (other_admin, guardian, regulator):
        refused = await world.client.get(path, headers=world.fresh(outsider.headers))
        assert refused.status_code == 403, refused.text
    for staff in (admin, caregiver):
        allowed = await world.client.get(path, headers=world.fresh(staff.headers))
        assert allowed.status_code == 200, allowed.text
        assert allowed.json()["room_id"] == str(room_id)


async def _book(world: World, institution_id: UUID, room_id: UUID, guardian: Caller,
                date: str = DAY) -> dict[str, Any]:  # fmt: skip
    body = {**booking_body(institution_id, room_id, await child_of(world, guardian)), "date": date}
    response = await world.post("/v1/bookings", body, guardian)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _told(world: World, guardian: Caller) -> dict[Any, dict[str, Any]]:
    """The guardian's notifications of bookings the institution cancelled, by booking id."""
    notes = await world.client.get("/v1/notifications", headers=world.fresh(guardian.headers))
    assert notes.status_code == 200, notes.text
    return {n["booking_id"]: n for n in notes.json() if n["kind"] == "cancelled_by_institution"}


async def _status(world: World, booking: dict[str, Any], guardian: Caller) -> tuple[str, Any]:
    view = await world.client.get(
        f"/v1/bookings/{booking['id']}", headers=world.fresh(guardian.headers)
    )
    return view.json()["status"], view.json()["refund_fen"]


async def test_a_room_closure_refunds_its_bookings_in_full_and_tells_the_guardian(world: World):
    institution_id, room_id, admin = await bookable_room(world)
    guardian = await world.guardian()
    booked = await _book(world, institution_id, room_id, guardian)
    next_week = await _book(world, institution_id, room_id, guardian, day(7))
    closure = {"date": DAY, "room_id": str(room_id), "reason": "停水检修"}
    closed = await world.post(f"/v1/institutions/{institution_id}/closures", closure, admin)
    assert closed.status_code == 201, closed.text
    assert closed.json()["cancelled"] == 1
    assert await _status(world, booked, guardian) == ("cancelled", booked["price_fen"])
    assert await _status(world, next_week, guardian) == ("confirmed", None)
    told = await _told(world, guardian)
    assert list(told) == [booked["id"]]
    fen = booked["price_fen"]
    assert f"全额退款¥{fen // 100}.{fen % 100:02d}" in told[booked["id"]]["body"]
    assert "停水检修" in told[booked["id"]]["body"]
    occupancy = await world.client.get(f"/v1/rooms/{room_id}/occupancy?date={DAY}",
                                       headers=world.fresh(admin.headers))  # fmt: skip
    assert occupancy.json()["closed"] == "停水检修"
    assert {(s["booked"], s["capacity"]) for s in occupancy.json()["segments"]} == {(0, 0)}


async def test_closing_the_whole_institution_cancels_bookings_in_every_room(world: World):
    institution_id, room_id, admin = await bookable_room(world)
    base = f"/v1/institutions/{institution_id}"
    second = await world.add_room(institution_id, admin, name="小太阳班", capacity=10)
    second_id = UUID(second.json()["id"])
    await put(world, f"{base}/rooms/{second_id}/offers", {"offers": [HOURLY]}, admin)
    shifts = [{**SHIFT, "weekday": d} for d in range(1, 6)]
    await put(world, f"{base}/rooms/{second_id}/roster", {"shifts": shifts}, admin)
    guardian = await world.guardian()
    booked = [await _book(world, institution_id, r, guardian) for r in (room_id, second_id)]
    closed = await world.post(f"{base}/closures", {"date": DAY, "reason": "台风停课"}, admin)
    assert closed.status_code == 201, closed.text
    assert closed.json()["cancelled"] == 2
    for booking in booked:
        assert await _status(world, booking, guardian) == ("cancelled", booking["price_fen"])
    told = await _told(world, guardian)
    assert set(told) == {b["id"] for b in booked}
    again = await world.post("/v1/bookings", booking_body(
        institution_id, second_id, await child_of(world, guardian)), guardian)  # fmt: skip
    assert_refused(again, 409, "not-bookable", "date")
