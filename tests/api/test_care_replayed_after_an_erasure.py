"""A room tablet replays, after a child's erasure, what it logged offline while the child was
there: the facts are recorded, the staff's words about the erased child are not, since the
institution's day stream is append-only and not sealed with the child's key (ADR 0012). An
observation (nothing but words) and a dose (its authorisation went with the child's data) are
refused, and so is a check-in (it reads the child)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from domain.attendance.care_log import CareKind
from domain.attendance.day import AttendanceDay, attendance_day_id
from tests.api.attendance_world import NINE, Room, at, attending_room, check_in, check_out_body
from tests.api.world import World

WORDS = "林小雪昨晚发烧，妈妈说的"
OTHERS = "王小明午睡很好"  # about a child who was not erased: kept
CARE_LOGS = "/v1/attendance/care-logs"


async def _erased_after_a_morning_with_a_friend(world: World) -> tuple[Room, UUID, UUID]:
    """Two children in at 09:00; the first collected at 10:00 and erased at 11:05; the second
    still here."""
    room = await attending_room(world, children=2)
    erased, friend = room.children
    for child in room.children:
        assert (await check_in(world, room, child)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(hours=2, minutes=5)  # type: ignore[attr-defined]
    out = check_out_body(room, erased, room.guardian.phone, minutes=60)
    assert (await world.post("/v1/attendance/check-outs", out, room.caregiver)).status_code == 201
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    gone = await world.post(f"/v1/children/{erased}/erasure", {}, room.guardian)
    assert gone.status_code == 200, gone.text
    return room, erased, friend


async def _replayed(world: World, room: Room, kind: str, children: list[UUID], **fields: Any):
    body = {"room_id": str(room.room_id), "at": at(30), "kind": kind,
            "child_ids": [str(c) for c in children], **fields}  # fmt: skip
    return await world.post(CARE_LOGS, body, room.caregiver)


async def _logged_about(world: World, room: Room, child: UUID) -> list[Any]:
    store = world.runtime.store
    day = await store.read_stream(attendance_day_id(room.institution_id, NINE.date()))
    return [
        e.entry for e in map(store.to_domain_event, day)
        if isinstance(e, AttendanceDay.CareLogged) and child in e.entry.child_ids
    ]  # fmt: skip


async def test_care_replayed_after_the_erasure_keeps_its_facts_and_none_of_the_words(
    world: World,
):
    room, erased, friend = await _erased_after_a_morning_with_a_friend(world)
    check = {"temperature_c": 37.8, "look_ok": False, "observations": WORDS}
    for kind, children, fields in (
        ("meal", [erased], {"meal": "breakfast", "amount": "most", "note": WORDS}),
        ("toileting", [erased, friend], {"toileting": "wet", "note": WORDS}),
        ("nap_start", [erased], {"note": WORDS}),
        ("midday_check", [erased], {"health_check": check, "note": WORDS}),
        ("incident", [erased], {"category": "bump", "note": WORDS}),
        ("meal", [], {"meal": "morning_snack", "note": WORDS}),  # the whole room then
        ("observation", [friend], {"note": OTHERS}),
    ):
        logged = await _replayed(world, room, kind, children, **fields)
        assert logged.status_code == 201, (kind, logged.text)

    about = await _logged_about(world, room, erased)
    assert [e.kind for e in about] == [CareKind.meal, CareKind.toileting, CareKind.nap_start,
                                       CareKind.midday_check, CareKind.incident, CareKind.meal]  # fmt: skip
    assert all(e.note == "" for e in about)
    meal, toileting, _, midday, incident, snack = about
    assert (meal.meal, meal.amount, toileting.child_ids) == ("breakfast", "most", (erased, friend))
    assert midday.health is not None and midday.health.observations == ""
    assert (midday.health.temperature_c, midday.health.look_ok) == (37.8, False)
    assert incident.category == "bump" and set(snack.child_ids) == {erased, friend}
    [observed] = [e for e in await _logged_about(world, room, friend) if e.kind == "observation"]
    assert observed.note == OTHERS  # an entry about no erased child keeps its words
    stored = await world.runtime.pool.fetch("SELECT state FROM events")
    assert not any(WORDS.encode() in bytes(r["state"]) for r in stored)
    await _read_models_rebuilt_equal_to_live(world)


async def test_an_observation_a_dose_or_a_check_in_replayed_after_the_erasure_is_refused(
    world: World,
):
    room, erased, friend = await _erased_after_a_morning_with_a_friend(world)
    before = await world.runtime.store.head_position()
    for kind, fields in (
        ("observation", {"note": WORDS}),
        ("medication", {"authorisation_id": str(uuid4()), "note": WORDS}),
    ):
        named = [erased, friend] if kind == "observation" else [erased]  # a dose: one child
        refused = await _replayed(world, room, kind, named, **fields)
        assert refused.status_code == 410, (kind, refused.text)
        assert refused.json()["type"] == "/problems/child-erased"
    again = await check_in(world, room, erased, minutes=1, note=WORDS)
    assert again.status_code == 410 and again.json()["type"] == "/problems/child-erased"
    assert await world.runtime.store.head_position() == before  # nothing written


async def _read_models_rebuilt_equal_to_live(world: World) -> None:
    projector, pool = world.runtime.projector, world.runtime.pool
    await projector.wait_until(await world.runtime.store.head_position())
    models = [p for p in projector.projections if p.name in ("attendance", "notifications")]

    async def rows() -> dict[str, list[Any]]:
        return {t: [tuple(r) for r in await pool.fetch(f"SELECT * FROM {t} ORDER BY {t}")]
                for model in models for t in model.tables}  # fmt: skip

    live = await rows()
    assert not any(WORDS in str(row) for table in live.values() for row in table)
    for model in models:
        await projector.rebuild(model)
    assert await rows() == live
