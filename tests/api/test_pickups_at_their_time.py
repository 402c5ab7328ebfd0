"""A pick-up an offline tablet replays late is judged on the arrangements at its own time: grandma
collected at 16:00, the guardian withdrew her at 16:30, the tablet sends the pick-up at 17:00. The
child left with her, so the pick-up stands, and the child is no longer counted present, nor
reported uncollected at closing (docs/adr/0026)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from backend.scheduler import escalate_uncollected_children
from backend.unit_of_work import load_aggregate
from tests.api.attendance_world import NINE, Room, attending_room, check_in, check_out_body
from tests.api.days import DAY, day
from tests.api.room_moves_world import read, register
from tests.api.world import World

GRANNY = {"name": "王外婆", "phone": "13955550001", "relation": "外婆"}
NEIGHBOUR = {"name": "邻居陈", "phone": "13900002222", "day": DAY}
FOUR_PM, HALF_FOUR, FIVE_PM = 7 * 60, 7 * 60 + 30, 8 * 60  # minutes after 09:00 on DAY
CHECK_OUTS = "/v1/attendance/check-outs"


def _clock_at(world: World, minutes: int) -> None:
    world.runtime.clock.at = NINE + timedelta(minutes=minutes)  # type: ignore[attr-defined]


async def _arranged(world: World, path: str, body: dict[str, Any], room: Room) -> None:
    """The guardian arranges or changes who may collect the child, on the tablet's day."""
    response = await world.post(f"/v1/children/{room.children[0]}/{path}", body, room.guardian)
    assert response.status_code in (200, 201), response.text


async def _room_with(world: World, arrangement: str, body: dict[str, Any]) -> Room:
    """The child checked in at 09:00 with `body` allowed to collect it (`arrangement`)."""
    room = await attending_room(world)
    assert (await check_in(world, room, room.children[0])).status_code == 201
    await _arranged(world, arrangement, body, room)
    return room


async def _replayed_pick_up(
    world: World, room: Room, person: dict[str, Any], minutes: int, key: str
) -> Any:
    """The tablet sends at 17:00 the pick-up by `person` it recorded offline at 09:00 +
    `minutes`."""
    _clock_at(world, FIVE_PM)
    body = check_out_body(room, room.children[0], person["phone"], minutes)
    body["collector"]["name"] = person["name"]
    return await world.post(CHECK_OUTS, body, room.caregiver, key)


async def _still_present(world: World, room: Room) -> bool:
    live = await read(world, f"/v1/institutions/{room.institution_id}/occupancy/live", room.admin)
    [row] = await register(world, room.room_id, room.admin)
    assert live["children_present"] == (0 if row["checked_out"] else 1)
    return row["checked_out"] is None


async def _collected_at_four(world: World, room: Room, collector: str) -> dict[str, Any]:
    """The replay stood: the register shows the 16:00 pick-up, the room no longer counts the
    child, the closing job tells nobody it was left. The guardians' pick-up notice."""
    [row] = await register(world, room.room_id, room.admin)
    assert (row["checked_out"], row["collector"]) == ("16:00", collector)
    assert not await _still_present(world, room)
    _clock_at(world, FIVE_PM + 45)  # closing + 15 minutes
    assert await escalate_uncollected_children(world.runtime) == 0
    notes = await read(world, "/v1/notifications", room.guardian)
    assert "uncollected" not in [n["kind"] for n in notes]
    [told] = [n for n in notes if n["kind"] == "check_out"]
    return dict(told)


async def _same_answer_again(
    world: World, room: Room, person: dict[str, Any], key: str, first: Any
) -> None:
    again = await _replayed_pick_up(world, room, person, FOUR_PM, key)
    assert again.status_code == 201 and again.json()["replayed"] is True, again.text
    assert {**again.json(), "replayed": False} == first.json()


async def test_a_pick_up_by_a_standing_adult_withdrawn_after_it_stands_when_replayed(
    world: World,
):
    room = await _room_with(world, "pickup-adults", GRANNY)
    _clock_at(world, HALF_FOUR)
    await _arranged(world, "pickup-adults/withdraw", {"phone": GRANNY["phone"]}, room)
    key = uuid4().hex

    replayed = await _replayed_pick_up(world, room, GRANNY, FOUR_PM, key)
    assert replayed.status_code == 201, replayed.text
    answer = replayed.json()
    assert (answer["relation"], answer["collector_blocked_since"]) == ("authorised_adult", None)
    await _same_answer_again(world, room, GRANNY, key, replayed)
    notice = await _collected_at_four(world, room, "王外婆（授权接送人）")
    assert "16:00由王外婆（授权接送人）接走" in notice["body"]


async def test_a_pick_up_by_a_delegate_withdrawn_after_it_stands_when_replayed(world: World):
    room = await _room_with(world, "delegates", NEIGHBOUR)
    _clock_at(world, HALF_FOUR)
    withdrawal = {"phone": NEIGHBOUR["phone"], "day": DAY}
    await _arranged(world, "delegates/withdraw", withdrawal, room)
    key = uuid4().hex

    replayed = await _replayed_pick_up(world, room, NEIGHBOUR, FOUR_PM, key)
    assert replayed.status_code == 201, replayed.text
    assert replayed.json()["relation"] == "delegate"
    await _same_answer_again(world, room, NEIGHBOUR, key, replayed)
    await _collected_at_four(world, room, "邻居陈（当日代接人）")


async def test_a_pick_up_by_someone_blocked_after_it_stands_and_says_since_when_they_are_blocked(
    world: World,
):
    room = await _room_with(world, "pickup-adults", GRANNY)
    _clock_at(world, HALF_FOUR)
    blocked = {"name": "王外婆", "phone": GRANNY["phone"], "reason": "法院判决"}
    await _arranged(world, "blocked-collectors", blocked, room)
    key = uuid4().hex

    replayed = await _replayed_pick_up(world, room, GRANNY, FOUR_PM, key)
    assert replayed.status_code == 201, replayed.text
    answer = replayed.json()
    assert answer["relation"] == "authorised_adult"
    since = datetime.fromisoformat(answer["collector_blocked_since"])
    assert since == NINE + timedelta(minutes=HALF_FOUR)
    await _same_answer_again(world, room, GRANNY, key, replayed)
    said = "王外婆（接走后于16:30被列入禁止接送名单）（授权接送人）"
    notice = await _collected_at_four(world, room, said)
    assert "16:00由王外婆（接走后于16:30被列入禁止接送名单）（授权接送人）接走" in notice["body"]


def _refused_as(response: Any, problem: str) -> None:
    assert response.status_code == 409, response.text
    assert response.json()["type"] == f"/problems/{problem}", response.text
    assert response.json()["field"] == "collector", response.text


async def test_a_pick_up_made_after_the_withdrawal_or_the_block_is_still_refused(world: World):
    room = await _room_with(world, "pickup-adults", GRANNY)
    await _arranged(world, "delegates", NEIGHBOUR, room)
    _clock_at(world, HALF_FOUR)
    await _arranged(world, "delegates/withdraw", {"phone": NEIGHBOUR["phone"], "day": DAY}, room)
    blocked = {"name": "王外婆", "phone": GRANNY["phone"], "reason": "法院判决"}
    await _arranged(world, "blocked-collectors", blocked, room)

    for minutes in (HALF_FOUR, HALF_FOUR + 5):  # at the change, or after it: refused
        key = uuid4().hex
        late = await _replayed_pick_up(world, room, NEIGHBOUR, minutes, key)
        _refused_as(late, "collector-not-authorised")
        blocked_then = await _replayed_pick_up(world, room, GRANNY, minutes, uuid4().hex)
        _refused_as(blocked_then, "collector-blocked")
        again = await _replayed_pick_up(world, room, NEIGHBOUR, minutes, key)
        _refused_as(again, "collector-not-authorised")  # its retry is decided again, alike
    assert await _still_present(world, room)


async def test_a_withdrawal_older_than_any_replay_is_forgotten_at_the_next_change(world: World):
    room = await _room_with(world, "pickup-adults", GRANNY)
    await _arranged(world, "delegates", {**NEIGHBOUR, "day": day(1)}, room)
    _clock_at(world, HALF_FOUR)
    await _arranged(world, "pickup-adults/withdraw", {"phone": GRANNY["phone"]}, room)
    child: UUID = room.children[0]
    remembered = await load_aggregate(world.runtime.store, child)
    assert [r.phone for r in remembered.pickup_rights_ended] == [GRANNY["phone"]]

    _clock_at(world, HALF_FOUR + 24 * 60 + 3)  # beyond 24 h + 2 min of clock skew
    await _arranged(world, "delegates/withdraw", {"phone": NEIGHBOUR["phone"], "day": day(1)},
                    room)  # fmt: skip
    bounded = await load_aggregate(world.runtime.store, child)
    assert [(r.relation, r.phone) for r in bounded.pickup_rights_ended] == [
        ("delegate", NEIGHBOUR["phone"])
    ]
