"""A family's arrangements change over HTTP: a standing pick-up adult or a one-day delegate
withdrawn, a block lifted, a medication authorisation withdrawn; the door and the care log
follow, the profile shows it, and only the child's guardians may do any of it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from tests.api.attendance_world import NINE, Room, at, attending_room, caregiver_of, check_in
from tests.api.attendance_world import check_out_body as out_body
from tests.api.booking_world import bookable_room, booking_body, child_of
from tests.api.days import DAY, day
from tests.api.world import Caller, World

GRANNY = {"name": "王外婆", "phone": "13955550001", "relation": "外婆"}
NEIGHBOUR = {"name": "邻居陈", "phone": "13900002222", "day": DAY}
BLOCKED = {"name": "王外婆", "phone": "13955550001", "reason": "法院判决"}
MEDICINE = {"medicine": "布洛芬", "dose": "5 ml", "max_doses_per_day": 2, "first_day": DAY,
            "last_day": DAY}  # fmt: skip


async def _profile(world: World, child: UUID, who: Caller) -> dict[str, Any]:
    response = await world.client.get(f"/v1/children/{child}", headers=world.fresh(who.headers))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _ok(world: World, path: str, body: dict[str, Any], who: Caller, status: int) -> Any:
    response = await world.post(path, body, who)
    assert response.status_code == status, response.text
    return response.json()


NOW = 120  # minutes after 09:00: the changes are made then, and the door is asked at once


async def _collected_by(world: World, room: Room, phone: str, minutes: int = NOW) -> Any:
    return await world.post("/v1/attendance/check-outs",
                            out_body(room, room.children[0], phone, minutes), room.caregiver)  # fmt: skip


def _refused_as(response: Any, status: int, problem: str, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == f"/problems/{problem}", response.text
    if field is not None:
        assert response.json()["field"] == field, response.text


async def _in_the_room(world: World) -> tuple[Room, str]:
    room = await attending_room(world)
    assert (await check_in(world, room, room.children[0])).status_code == 201
    world.runtime.clock.at = NINE + timedelta(minutes=NOW)  # type: ignore[attr-defined]
    return room, f"/v1/children/{room.children[0]}"


async def test_a_withdrawn_pick_up_adult_is_refused_at_the_door_and_may_be_authorised_again(
    world: World,
):
    room, child = await _in_the_room(world)
    await _ok(world, f"{child}/pickup-adults", GRANNY, room.guardian, 201)
    withdrawn = await world.post(f"{child}/pickup-adults/withdraw",
                                 {"phone": "+86 139-5555-0001"}, room.guardian)  # fmt: skip
    assert withdrawn.status_code == 200, withdrawn.text
    assert (await _profile(world, room.children[0], room.guardian))["pickup_adults"] == []
    refused = await _collected_by(world, room, GRANNY["phone"])
    _refused_as(refused, 409, "collector-not-authorised", "collector")
    again = await world.post(f"{child}/pickup-adults/withdraw", {"phone": GRANNY["phone"]},
                             room.guardian)  # fmt: skip
    _refused_as(again, 404, "pickup-adult-not-found", "phone")

    await _ok(world, f"{child}/pickup-adults", GRANNY, room.guardian, 201)  # not blocked
    assert (await _collected_by(world, room, GRANNY["phone"], NOW + 1)).status_code == 201


async def test_a_withdrawn_delegate_is_refused_at_the_door_and_is_gone_from_the_profile(
    world: World,
):
    room, child = await _in_the_room(world)
    await _ok(world, f"{child}/delegates", NEIGHBOUR, room.guardian, 201)
    tomorrow = {**NEIGHBOUR, "day": day(1)}
    await _ok(world, f"{child}/delegates", tomorrow, room.guardian, 201)
    shown = (await _profile(world, room.children[0], room.guardian))["delegates"]
    assert [d["day"] for d in shown] == [DAY, day(1)]

    withdrawal = {"phone": NEIGHBOUR["phone"], "day": DAY}
    await _ok(world, f"{child}/delegates/withdraw", withdrawal, room.guardian, 200)
    shown = (await _profile(world, room.children[0], room.guardian))["delegates"]
    assert shown == [{"name": "邻居陈", "phone": NEIGHBOUR["phone"], "day": day(1)}]
    refused = await _collected_by(world, room, NEIGHBOUR["phone"])
    _refused_as(refused, 409, "collector-not-authorised", "collector")
    again = await world.post(f"{child}/delegates/withdraw", withdrawal, room.guardian)
    _refused_as(again, 404, "delegate-not-found", "phone")
    past = await world.post(f"{child}/delegates/withdraw", {**withdrawal, "day": day(-1)},
                            room.guardian)  # fmt: skip
    _refused_as(past, 422, "invalid-value", "day")


async def test_a_block_ends_the_persons_delegations_so_lifting_it_leaves_them_unauthorised(
    world: World,
):
    """A delegate named for today, then blocked: gone from the delegates at once (the profile
    staff read at the door), and not back in force when the block is lifted."""
    room, child = await _in_the_room(world)
    await _ok(world, f"{child}/delegates", NEIGHBOUR, room.guardian, 201)
    block = {"name": NEIGHBOUR["name"], "phone": NEIGHBOUR["phone"], "reason": "家里不放心"}
    await _ok(world, f"{child}/blocked-collectors", block, room.guardian, 201)
    assert (await _profile(world, room.children[0], room.caregiver))["delegates"] == []

    await _ok(world, f"{child}/blocked-collectors/lift", {"phone": NEIGHBOUR["phone"]},
              room.guardian, 200)  # fmt: skip
    refused = await _collected_by(world, room, NEIGHBOUR["phone"], NOW + 1)
    _refused_as(refused, 409, "collector-not-authorised", "collector")


async def test_a_delegate_named_again_for_the_same_day_is_refused_so_door_and_profile_agree(
    world: World,
):
    room, child = await _in_the_room(world)
    await _ok(world, f"{child}/delegates", NEIGHBOUR, room.guardian, 201)
    again = await world.post(f"{child}/delegates", {**NEIGHBOUR, "name": "陈阿姨"}, room.guardian)
    _refused_as(again, 409, "already-exists", "phone")
    [shown] = (await _profile(world, room.children[0], room.guardian))["delegates"]
    assert shown["name"] == NEIGHBOUR["name"]


async def test_a_lifted_block_authorises_nobody_but_lets_a_later_authorisation_stand(
    world: World,
):
    room, child = await _in_the_room(world)
    await _ok(world, f"{child}/pickup-adults", GRANNY, room.guardian, 201)
    await _ok(world, f"{child}/blocked-collectors", BLOCKED, room.guardian, 201)
    profile = await _profile(world, room.children[0], room.caregiver)  # staff see the list
    assert profile["blocked_collectors"] == [BLOCKED] and profile["pickup_adults"] == []
    refused = await world.post(f"{child}/pickup-adults", GRANNY, room.guardian)
    _refused_as(refused, 409, "collector-blocked", "phone")

    await _ok(world, f"{child}/blocked-collectors/lift", {"phone": GRANNY["phone"]},
              room.guardian, 200)  # fmt: skip
    assert (await _profile(world, room.children[0], room.guardian))["blocked_collectors"] == []
    not_yet = await _collected_by(world, room, GRANNY["phone"])
    _refused_as(not_yet, 409, "collector-not-authorised", "collector")
    again = await world.post(f"{child}/blocked-collectors/lift", {"phone": GRANNY["phone"]},
                             room.guardian)  # fmt: skip
    _refused_as(again, 404, "collector-not-blocked", "phone")

    await _ok(world, f"{child}/pickup-adults", GRANNY, room.guardian, 201)
    assert (await _collected_by(world, room, GRANNY["phone"], NOW + 1)).status_code == 201


async def test_a_withdrawn_medication_refuses_later_doses_and_keeps_one_a_tablet_gave_before(
    world: World,
):
    room = await attending_room(world)
    [kid] = room.children
    child = f"/v1/children/{kid}"
    authorised = await _ok(world, f"{child}/medication-authorisations", MEDICINE, room.guardian,
                           201)  # fmt: skip
    assert (await check_in(world, room, kid)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(hours=1)  # type: ignore[attr-defined]
    shown = (await _profile(world, kid, room.caregiver))["medication_authorisations"]
    assert [(m["id"], m["medicine"], m["dose"]) for m in shown] == [
        (authorised["id"], "布洛芬", "5 ml")
    ]
    withdraw = f"{child}/medication-authorisations/{authorised['id']}/withdraw"
    await _ok(world, withdraw, {}, room.guardian, 200)  # at 10:00
    assert (await _profile(world, kid, room.guardian))["medication_authorisations"] == []

    world.runtime.clock.at = NINE + timedelta(hours=1, minutes=30)  # type: ignore[attr-defined]
    dose = {"room_id": str(room.room_id), "kind": "medication", "child_ids": [str(kid)],
            "authorisation_id": authorised["id"]}  # fmt: skip
    given_before = await world.post(
        "/v1/attendance/care-logs", {**dose, "at": at(45)}, room.caregiver
    )  # fmt: skip (09:45, sent at 10:30)
    assert given_before.status_code == 201, given_before.text
    after = await world.post("/v1/attendance/care-logs", {**dose, "at": at(90)}, room.caregiver)
    _refused_as(after, 409, "medication-withdrawn", "authorisation_id")
    entries = (await world.client.get(f"{child}/days/{DAY}",
                                      headers=world.fresh(room.guardian.headers))).json()  # fmt: skip
    assert [e["time"] for e in entries["entries"] if e["kind"] == "medication"] == ["09:45"]

    again = await world.post(withdraw, {}, room.guardian)
    _refused_as(again, 409, "medication-withdrawn", "authorisation_id")
    unknown = await world.post(f"{child}/medication-authorisations/{uuid4()}/withdraw", {},
                               room.guardian)  # fmt: skip
    _refused_as(unknown, 404, "medication-authorisation-not-found", "authorisation_id")


def _changes(child: UUID, authorisation: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Each change route as (method, path, body), on the child's real arrangements."""
    base = f"/v1/children/{child}"
    return [
        ("PUT", f"{base}/profile", {"name": "小鸣", "birth_date": day(-400), "sex": "male"}),
        ("POST", f"{base}/pickup-adults/withdraw", {"phone": GRANNY["phone"]}),
        ("POST", f"{base}/delegates/withdraw", {"phone": NEIGHBOUR["phone"], "day": DAY}),
        ("POST", f"{base}/blocked-collectors/lift", {"phone": "13900001111"}),
        ("POST", f"{base}/medication-authorisations/{authorisation}/withdraw", {}),
    ]


async def _arranged(world: World, guardian: Caller, child: UUID) -> str:
    """Grandma may collect, the neighbour on DAY, 赵某 must not; a medicine authorised."""
    base = f"/v1/children/{child}"
    await _ok(world, f"{base}/pickup-adults", GRANNY, guardian, 201)
    await _ok(world, f"{base}/delegates", NEIGHBOUR, guardian, 201)
    await _ok(world, f"{base}/blocked-collectors",
              {"name": "赵某", "phone": "13900001111", "reason": "法院禁令"}, guardian, 201)  # fmt: skip
    medicine = await _ok(world, f"{base}/medication-authorisations", MEDICINE, guardian, 201)
    return str(medicine["id"])


async def _send(world: World, method: str, path: str, body: dict, who: Caller, key: str) -> Any:
    headers = {**world.fresh(who.headers), "Idempotency-Key": key}
    return world.saw(await world.client.request(method, path, json=body, headers=headers))


async def test_only_a_guardian_of_the_child_may_change_its_arrangements(world: World):
    institution_id, room_id, admin = await bookable_room(world)
    caregiver = await caregiver_of(world, institution_id, admin)
    guardian, other_family, regulator = (
        await world.guardian(), await world.guardian(), await world.regulator()
    )  # fmt: skip
    child = await child_of(world, guardian)
    booked = await world.post("/v1/bookings", booking_body(institution_id, room_id, child),
                              guardian)  # fmt: skip
    assert booked.status_code == 201  # its staff care for the child, and still may not
    authorisation = await _arranged(world, guardian, child)
    before = await world.runtime.store.head_position()
    for method, path, body in _changes(child, authorisation):
        for who in (other_family, caregiver, admin, regulator):
            response = await _send(world, method, path, body, who, uuid4().hex)
            _refused_as(response, 403, "forbidden")
    assert await world.runtime.store.head_position() == before


async def test_a_replayed_change_gives_the_first_answer_and_records_one_event(world: World):
    guardian = await world.guardian()
    child = await child_of(world, guardian)
    authorisation = await _arranged(world, guardian, child)
    for method, path, body in _changes(child, authorisation):
        key = uuid4().hex
        first = await _send(world, method, path, body, guardian, key)
        again = await _send(world, method, path, body, guardian, key)
        assert first.status_code == again.status_code == 200, (path, again.text)
        assert {**first.json(), "replayed": True} == again.json()
    topics = await world.runtime.pool.fetch(
        "SELECT topic FROM events WHERE stream_id = $1 ORDER BY version DESC LIMIT 6", child
    )
    assert sorted(t["topic"].rsplit(".", 1)[1] for t in topics[:5]) == [
        "CollectionBlockLifted", "MedicationAuthorisationWithdrawn", "PickupAdultWithdrawn",
        "PickupDelegationWithdrawn", "ProfileCorrected",
    ]  # fmt: skip
    assert topics[5]["topic"].endswith("MedicationAuthorised")  # nothing twice


@pytest.mark.parametrize(
    ("route", "body", "status", "field"),
    [
        ("pickup-adults/withdraw", {"phone": "13955559999"}, 404, "phone"),  # nobody's
        ("pickup-adults/withdraw", {"phone": "1395555000100"}, 422, "phone"),  # no mobile
        ("pickup-adults/withdraw", {"name": "王外婆"}, 400, "phone"),
        ("delegates/withdraw", {"phone": NEIGHBOUR["phone"]}, 400, "day"),
        ("delegates/withdraw", {"phone": NEIGHBOUR["phone"], "day": "明天"}, 400, "day"),
        ("blocked-collectors/lift", {"phone": 13900001111}, 400, "phone"),
        ("profile", {"name": " ", "birth_date": day(-400), "sex": "male"}, 422, "name"),
        ("profile", {"name": "小鸣", "birth_date": day(30), "sex": "male"}, 422, "birth_date"),
        ("profile", {"name": "小鸣", "birth_date": day(-400), "sex": "boy"}, 400, "sex"),
    ],
    ids=["unknown phone", "not a mobile", "no phone", "no day", "not a date", "phone a number",
         "blank name", "born later", "unknown sex"],
)  # fmt: skip
async def test_bad_input_is_a_problem_naming_the_field_and_writes_nothing(
    world: World, route: str, body: dict, status: int, field: str
):
    guardian = await world.guardian()
    child = await child_of(world, guardian)
    await _arranged(world, guardian, child)
    before = await world.runtime.store.head_position()
    method = "PUT" if route == "profile" else "POST"
    response = await _send(world, method, f"/v1/children/{child}/{route}", body, guardian,
                           uuid4().hex)  # fmt: skip
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"] == field, response.text
    assert await world.runtime.store.head_position() == before
