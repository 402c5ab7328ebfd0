"""A guardian corrects the child's profile over HTTP: shown at once, sealed like the
registration, bookings made before stand while later decisions use the corrected birth date,
notices name the child as it was called when they were sent, and erasure blanks the
correction as it does the registration. Rebuilt read models equal the live ones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from backend.eventstore.store import EventStore
from backend.unit_of_work import load_aggregate
from domain.child.aggregate import Child
from tests.api.attendance_world import NINE, attending_room, check_in, check_out_body
from tests.api.booking_world import bookable_room, booking_body, child_of
from tests.api.days import months_before_day
from tests.api.rebuilds import Tables, rebuilt_equals_live
from tests.api.world import Caller, World

CORRECTED = {"name": "林晓雪", "birth_date": months_before_day(26).isoformat(), "sex": "male"}
MODELS = ("children", "child_arrangements", "notifications")


async def _correct(world: World, child: UUID, who: Caller, **changes: Any) -> Any:
    path = f"/v1/children/{child}/profile"
    headers = {**world.fresh(who.headers), "Idempotency-Key": uuid4().hex}
    body = {**CORRECTED, **changes}
    return world.saw(await world.client.put(path, json=body, headers=headers))


async def _get(world: World, path: str, who: Caller) -> Any:
    response = await world.client.get(path, headers=world.fresh(who.headers))
    assert response.status_code == 200, response.text
    return response.json()


async def _rebuilt_equal_to_live(world: World) -> Tables:
    models = [m for m in world.runtime.projector.projections if m.name in MODELS]
    return await rebuilt_equals_live(world, *models)


async def test_a_correction_is_shown_sealed_and_bookings_made_before_it_stand(world: World):
    institution_id, room_id, _ = await bookable_room(world)  # 托小班: 12–24 months
    guardian = await world.guardian()
    child = await child_of(world, guardian)  # 18 months on the day of care
    booked = await world.post("/v1/bookings", booking_body(institution_id, room_id, child),
                              guardian)  # fmt: skip
    assert booked.status_code == 201, booked.text

    corrected = await _correct(world, child, guardian)  # born 26 months before that day
    assert corrected.status_code == 200, corrected.text
    profile = await _get(world, f"/v1/children/{child}", guardian)
    shown = {k: profile["child"][k] for k in ("name", "birth_date", "sex")}
    assert shown == CORRECTED
    assert [c["name"] for c in await _get(world, "/v1/children", guardian)] == ["林晓雪"]
    stored = await world.runtime.pool.fetch("SELECT state FROM events WHERE stream_id = $1", child)
    assert not any("林晓雪".encode() in bytes(r["state"]) for r in stored)  # sealed

    kept = await _get(world, f"/v1/bookings/{booked.json()['id']}", guardian)
    assert kept["status"] == "confirmed"  # made under the old birth date: it stands
    later = booking_body(institution_id, room_id, child, "13:00", "15:00")
    refused = await world.post("/v1/bookings", later, guardian)
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"] == "/problems/age-does-not-fit"  # 26 months: too old now


async def test_the_same_profile_again_records_nothing_and_a_correction_needs_a_guardian(
    world: World,
):
    guardian, other_family = await world.guardian(), await world.guardian()
    child = await child_of(world, guardian)
    assert (await _correct(world, child, guardian)).status_code == 200
    before = await world.runtime.store.head_position()
    same = world.saw(await world.client.put(
        f"/v1/children/{child}/profile", json=CORRECTED,
        headers={**world.fresh(guardian.headers), "Idempotency-Key": "the-same-again"},
    ))  # fmt: skip
    assert same.status_code == 200 and same.json()["version"] == 2, same.text
    assert await world.runtime.store.head_position() == before
    stranger = await _correct(world, child, other_family, name="别人家")
    assert stranger.status_code == 403, stranger.text


async def test_erasure_after_a_correction_blanks_the_corrected_profile_everywhere(world: World):
    guardian = await world.guardian()
    child = await child_of(world, guardian)
    assert (await _correct(world, child, guardian)).status_code == 200
    erased = await world.post(f"/v1/children/{child}/erasure", {}, guardian)
    assert erased.status_code == 200, erased.text

    fresh_process = EventStore(world.runtime.pool)  # no key held in memory
    forgotten = await load_aggregate(fresh_process, child)
    assert isinstance(forgotten, Child)
    assert (forgotten.name, forgotten.birth_date.year) == ("", 1900)
    events = [fresh_process.to_domain_event(e) for e in await fresh_process.read_stream(child)]
    [correction] = [e for e in events if isinstance(e, Child.ProfileCorrected)]
    assert (correction.name, correction.birth_date.year) == ("", 1900)
    live = await _rebuilt_equal_to_live(world)
    assert "林晓雪" not in repr(live)
    for table in ("rm_children", "rm_child_names"):
        assert not any(child in row for row in live[table]), table
    profile = await world.client.get(f"/v1/children/{child}", headers=world.fresh(guardian.headers))
    assert profile.status_code == 410 and profile.json()["type"] == "/problems/child-erased"
    again = await _correct(world, child, guardian, name="林小雪")
    assert again.status_code == 410, again.text


async def test_notices_name_the_child_as_it_was_called_when_sent_and_a_rebuild_agrees(
    world: World,
):
    room = await attending_room(world)
    [child] = room.children  # registered as 小宝
    assert (await check_in(world, room, child)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(minutes=30)  # type: ignore[attr-defined]
    born = months_before_day(18).isoformat()  # the same birth date: only the name was wrong
    assert (await _correct(world, room.children[0], room.guardian, name="小明",
                           birth_date=born)).status_code == 200  # fmt: skip
    world.runtime.clock.at = NINE + timedelta(hours=1)  # type: ignore[attr-defined]
    out = check_out_body(room, child, room.guardian.phone, minutes=60)
    assert (await world.post("/v1/attendance/check-outs", out, room.caregiver)).status_code == 201

    notices = await _get(world, "/v1/notifications", room.guardian)
    bodies = [n["body"] for n in notices if n["kind"] in ("check_in", "check_out")]
    assert [b[:2] for b in bodies] == ["小明", "小宝"]  # newest first
    live = await _rebuilt_equal_to_live(world)
    assert [r[2] for r in live["rm_child_names"] if r[0] == child] == ["小宝", "小明"]
    register = await _get(world, f"/v1/rooms/{room.room_id}/attendance?date={NINE.date()}",
                          room.admin)  # fmt: skip
    assert register[0]["child"] == "小明"  # the register names the child as it is called now
