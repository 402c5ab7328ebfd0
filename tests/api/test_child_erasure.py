"""A guardian withdraws consent and has the child's personal data erased: the events stay, the
child's key goes (crypto-shredding), and nothing personal can be read back anywhere."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from backend.clock import FrozenClock
from backend.eventstore.store import EventStore
from backend.scheduler import (
    erase_children_past_retention,
    release_due_no_shows,
    sweep_unused_child_keys,
)
from backend.services import children
from backend.unit_of_work import load_aggregate
from domain.child.aggregate import Child, Sex
from tests.api.attendance_world import (
    NINE,
    at,
    attending_room,
    check_in,
    check_out_body,
    visit_with_words,
)
from tests.api.booking_world import DAY, bookable_room, booking_body, child_of
from tests.api.days import months_before_day
from tests.api.world import World, idem

NAME = "林小雪"
BIRTH = months_before_day(21).isoformat()
GRANNY_PHONE = "13955550001"


async def _erase(world: World, child: UUID, who: Any, key: str | None = None) -> Any:
    return await world.post(f"/v1/children/{child}/erasure", {}, who, key)


async def _child_with_a_pickup_adult(world: World) -> tuple[Any, UUID]:
    parent = await world.guardian()
    response = await world.post(
        "/v1/children",
        {"name": NAME, "birth_date": BIRTH, "sex": "female", "consent_care_booking": True},
        parent,
    )
    assert response.status_code == 201, response.text
    child = UUID(response.json()["id"])
    adult = {"name": "林外婆", "phone": GRANNY_PHONE, "relation": "外婆"}
    assert (
        await world.post(f"/v1/children/{child}/pickup-adults", adult, parent)
    ).status_code == 201
    return parent, child


async def _rows(world: World, table: str, column: str, child: UUID) -> int:
    sql = f"SELECT count(*) FROM {table} WHERE {column} = $1"
    return int(await world.runtime.pool.fetchval(sql, child))


async def _stored_rows(world: World, child: UUID) -> list[bytes]:
    rows = await world.runtime.pool.fetch(
        "SELECT state FROM events WHERE stream_id = $1 UNION ALL"
        " SELECT state FROM snapshots WHERE stream_id = $1",
        child,
    )
    return [bytes(r["state"]) for r in rows]


async def test_a_childs_name_and_pick_up_adults_are_stored_sealed_never_in_plain_text(
    world: World,
):
    parent, child = await _child_with_a_pickup_adult(world)
    stored = await _stored_rows(world, child)
    assert len(stored) == 2
    assert not any(NAME.encode() in s or GRANNY_PHONE.encode() in s for s in stored)
    assert all(b'"sealed"' in s for s in stored)
    profile = await world.client.get(f"/v1/children/{child}", headers=world.fresh(parent.headers))
    assert profile.json()["child"]["name"] == NAME
    assert profile.json()["pickup_adults"][0]["phone"] == GRANNY_PHONE


async def test_an_erased_child_cannot_be_read_back_from_the_store_the_read_models_or_a_rebuild(
    world: World,
):
    parent, child = await _child_with_a_pickup_adult(world)
    response = await _erase(world, child, parent)
    assert response.status_code == 200, response.text

    assert await _rows(world, "child_data_keys", "child_id", child) == 0
    mine = await world.client.get("/v1/children", headers=world.fresh(parent.headers))
    assert mine.json() == []
    profile = await world.client.get(f"/v1/children/{child}", headers=world.fresh(parent.headers))
    assert profile.status_code == 410 and profile.json()["type"] == "/problems/child-erased"

    fresh_process = EventStore(world.runtime.pool)  # no key held in memory
    erased = await load_aggregate(fresh_process, child)
    assert isinstance(erased, Child) and erased.erased_at is not None
    assert (erased.name, erased.pickup_adults) == ("", ())
    events = await fresh_process.read_stream(child)
    first = fresh_process.to_domain_event(events[0])
    assert first.name == "" and first.birth_date.year == 1900

    await world.runtime.projector.rebuild(_children_model(world))
    assert await _rows(world, "rm_children", "id", child) == 0
    assert await _rows(world, "rm_child_pickup_adults", "child_id", child) == 0


async def test_commands_about_an_erased_child_answer_410_and_a_replayed_erasure_the_same(
    world: World,
):
    parent, child = await _child_with_a_pickup_adult(world)
    first = await _erase(world, child, parent, key="erase-once-1")
    again = await _erase(world, child, parent, key="erase-once-1")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["replayed"] is True
    erasures = await world.runtime.pool.fetchval(
        "SELECT count(*) FROM events WHERE stream_id = $1 AND topic LIKE '%DataErased'", child
    )
    assert erasures == 1
    later = await _erase(world, child, parent)
    assert later.status_code == 410 and later.json()["type"] == "/problems/child-erased"
    adult = {"name": "新阿姨", "phone": "13955550002", "relation": "阿姨"}
    refused = await world.post(f"/v1/children/{child}/pickup-adults", adult, parent)
    assert refused.status_code == 410
    assert refused.headers["content-type"].startswith("application/problem+json")
    code = await world.client.get(f"/v1/children/{child}/attendance-code",
                                  headers=world.fresh(parent.headers))  # fmt: skip
    assert code.status_code == 410  # no drop-off code for a child that is gone


async def test_a_child_with_a_booking_ahead_is_erased_only_after_it_is_cancelled(world: World):
    institution_id, room_id, _ = await bookable_room(world)
    parent = await world.guardian()
    child = await child_of(world, parent)
    booked = await world.post("/v1/bookings", booking_body(institution_id, room_id, child), parent)
    booking = booked.json()["id"]
    refused = await _erase(world, child, parent)
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"] == "/problems/child-still-in-care"
    assert refused.json()["params"]["booking_id"] == booking
    assert await _rows(world, "child_data_keys", "child_id", child) == 1  # nothing half-done
    cancelled = await world.post(f"/v1/bookings/{booking}/cancel", {}, parent)
    assert cancelled.status_code == 200, cancelled.text
    assert (await _erase(world, child, parent)).status_code == 200


async def test_another_family_staff_and_a_regulator_cannot_erase_a_child(world: World):
    institution_id, room_id, admin = await bookable_room(world)
    parent = await world.guardian()
    child = await child_of(world, parent)
    booked = await world.post("/v1/bookings", booking_body(institution_id, room_id, child), parent)
    assert booked.status_code == 201  # the admin's institution cares for the child: still no
    other_family = await world.guardian()
    regulator = await world.regulator()
    for who in (other_family, admin, regulator):
        response = await world.client.post(
            f"/v1/children/{child}/erasure", headers={**world.fresh(who.headers), **idem()}
        )
        assert response.status_code == 403, (who, response.text)
    assert await _rows(world, "child_data_keys", "child_id", child) == 1


async def test_after_a_day_in_care_erasure_removes_the_childs_notices_and_unnames_the_register(
    world: World,
):
    room = await attending_room(world)
    [child] = room.children
    assert (await check_in(world, room, child)).status_code == 201
    out = check_out_body(room, child, room.guardian.phone, minutes=60)
    world.runtime.clock.at = NINE + timedelta(hours=1)  # type: ignore[attr-defined]
    assert (await world.post("/v1/attendance/check-outs", out, room.caregiver)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(days=1)  # type: ignore[attr-defined]
    notices = await world.client.get(
        "/v1/notifications", headers=world.fresh(room.guardian.headers)
    )
    assert len(notices.json()) >= 2
    day = f"/v1/children/{child}/days/{NINE.date().isoformat()}"
    before = await world.client.get(day, headers=world.fresh(room.guardian.headers))
    assert [e["kind"] for e in before.json()["entries"]][:2] == ["check_in", "check_out"]

    assert (await _erase(world, child, room.guardian)).status_code == 200
    notices = await world.client.get(
        "/v1/notifications", headers=world.fresh(room.guardian.headers)
    )
    assert not any(n["kind"] in ("check_in", "check_out") for n in notices.json())
    after = await world.client.get(day, headers=world.fresh(room.guardian.headers))
    assert after.status_code in (403, 404) or after.json()["entries"] == []
    register = await world.client.get(
        f"/v1/rooms/{room.room_id}/attendance",
        params={"date": NINE.date().isoformat()},
        headers=world.fresh(room.admin.headers),
    )
    assert register.status_code == 200, register.text
    [visit] = register.json()
    assert visit["child"] == "（已删除）"
    assert visit["checked_in"] and visit["checked_out"]  # the visit is kept for the regulator


async def test_an_erasure_racing_bookings_of_the_same_child_never_leaves_an_erased_child_booked(
    world: World,
):
    institution_id, room_id, _ = await bookable_room(world)
    parent = await world.guardian()
    child = await child_of(world, parent)
    headers = world.fresh(parent.headers)
    slots = [("09:00", "10:00"), ("10:00", "11:00"), ("13:00", "14:00"), ("14:00", "15:00")]
    bookings = [
        world.client.post(
            "/v1/bookings",
            json=booking_body(institution_id, room_id, child, start, end),
            headers={**headers, **idem()},
        )  # fmt: skip
        for start, end in slots
    ]
    erasure = world.client.post(f"/v1/children/{child}/erasure", headers={**headers, **idem()})
    *booked, erased = await asyncio.gather(*bookings, erasure)
    statuses = [r.status_code for r in [*booked, erased]]
    assert all(code < 500 for code in statuses), statuses
    accepted = [r for r in booked if r.status_code == 201]
    if erased.status_code == 200:
        assert accepted == [] and all(r.status_code == 410 for r in booked), statuses
    else:
        assert erased.json()["type"] == "/problems/child-still-in-care" and accepted, statuses
    held = await world.runtime.pool.fetchval(
        "SELECT count(*) FROM events WHERE stream_id = $1 AND topic LIKE '%BookingHeld'", child
    )
    assert held == len(accepted)


async def test_a_replayed_registration_makes_one_child_and_the_key_it_left_unused_is_swept(
    world: World,
):
    parent = await world.guardian()
    body = {"name": NAME, "birth_date": BIRTH, "sex": "female",
            "consent_care_booking": True}  # fmt: skip
    first = await world.post("/v1/children", body, parent, key="register-once-1")
    again = await world.post("/v1/children", body, parent, key="register-once-1")
    assert first.json()["id"] == again.json()["id"] and again.json()["replayed"]
    pool = world.runtime.pool
    await pool.execute("UPDATE child_data_keys SET created_at = now() - interval '2 hours'")
    assert await sweep_unused_child_keys(world.runtime) >= 1
    assert await sweep_unused_child_keys(world.runtime) == 0
    left = await pool.fetchval(
        "SELECT count(*) FROM child_data_keys k WHERE NOT EXISTS"
        " (SELECT 1 FROM events e WHERE e.stream_id = k.child_id)"
    )
    assert left == 0
    kept = "SELECT count(*) FROM child_data_keys WHERE child_id = $1"
    assert await pool.fetchval(kept, UUID(first.json()["id"])) == 1


def _children_model(world: World) -> Any:
    return next(p for p in world.runtime.projector.projections if p.name == "children")


async def test_the_consent_notice_says_what_where_how_long_and_after_without_signing_in(
    world: World,
):
    response = await world.client.get("/v1/consents")
    assert response.status_code == 200
    [notice] = response.json()
    assert notice["purpose"] == "care_booking" and notice["required"] is True
    assert "36 个月" in notice["kept_for"] and "境内" in notice["kept_where"]
    assert "密钥" in notice["afterwards"]
    _, child = await _child_with_a_pickup_adult(world)
    registered = await load_aggregate(world.runtime.store, child)
    assert registered.consent_notice == notice["version"]


async def test_the_retention_job_erases_a_child_three_years_after_its_last_care_and_no_other(
    world: World,
):
    institution_id, room_id, _ = await bookable_room(world)
    parent = await world.guardian()
    old = await child_of(world, parent)
    booked = await world.post("/v1/bookings", booking_body(institution_id, room_id, old), parent)
    assert booked.status_code == 201
    later = datetime.fromisoformat(f"{DAY}T12:00:00+08:00") + timedelta(days=3 * 365 + 2)
    world.runtime.clock = FrozenClock(at=later)
    recent = uuid4()
    await world.run(
        lambda uow, ctx: children.register_child(
            uow,
            ctx.now,
            child_id=recent,
            guardian_id=parent.account_id,
            name="新来的",
            birth_date=later.date() - timedelta(days=300),
            sex=Sex.male,
            consent=True,
            today=later.date(),
        )  # fmt: skip
    )
    assert await world.runtime.projector.wait_until(world.last_position)

    assert await erase_children_past_retention(world.runtime) == 1
    keys = "SELECT child_id FROM child_data_keys WHERE child_id = ANY($1::uuid[])"
    assert [r[0] for r in await world.runtime.pool.fetch(keys, [old, recent])] == [recent]
    erased = await load_aggregate(world.runtime.store, old)
    assert erased.erased_at == later and erased.name == ""
    assert await erase_children_past_retention(world.runtime) == 0  # nothing twice


async def test_a_child_still_in_the_room_after_its_booking_is_erased_only_once_collected(
    world: World,
):
    room = await attending_room(world)
    [child] = room.children
    assert (await check_in(world, room, child)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(hours=3)  # type: ignore[attr-defined]  # booked to 11:00
    refused = await _erase(world, child, room.guardian)
    assert refused.status_code == 409, refused.text
    assert "collect the child" in refused.json()["detail"]
    out = check_out_body(room, child, room.guardian.phone, minutes=170)
    assert (await world.post("/v1/attendance/check-outs", out, room.caregiver)).status_code == 201
    assert (await _erase(world, child, room.guardian)).status_code == 200


async def _arranged_and_corrected(world: World, child: UUID, guardian: Any) -> None:
    """A delegate, a must-not-collect entry and a medicine for the day; the name corrected."""
    base = f"/v1/children/{child}"
    medicine = {"medicine": "布洛芬", "dose": "5 ml", "max_doses_per_day": 1, "first_day": DAY,
                "last_day": DAY}  # fmt: skip
    for path, body in (
        ("delegates", {"name": "邻居陈", "phone": "13900002222", "day": DAY}),
        ("blocked-collectors", {"name": "赵某", "phone": "13900001111", "reason": "法院禁令"}),
        ("medication-authorisations", medicine),
    ):
        assert (await world.post(f"{base}/{path}", body, guardian)).status_code == 201
    profile = {"name": "林晓雪", "birth_date": BIRTH, "sex": "male"}
    corrected = world.saw(await world.client.put(
        f"{base}/profile", json=profile, headers={**world.fresh(guardian.headers), **idem()}
    ))  # fmt: skip
    assert corrected.status_code == 200, corrected.text


async def test_read_models_rebuilt_after_an_erasure_equal_the_live_ones(world: World):
    room = await attending_room(world, children=2)
    erased, kept = room.children
    for child in room.children:
        await _arranged_and_corrected(world, child, room.guardian)
        assert (await check_in(world, room, child)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(hours=1)  # type: ignore[attr-defined]
    for child in room.children:
        out = check_out_body(room, child, room.guardian.phone, minutes=60)
        assert (
            await world.post("/v1/attendance/check-outs", out, room.caregiver)
        ).status_code == 201
    world.runtime.clock.at = NINE + timedelta(days=1)  # type: ignore[attr-defined]
    assert (await _erase(world, erased, room.guardian)).status_code == 200
    projector = world.runtime.projector
    await projector.wait_until(await world.runtime.store.head_position())
    names = ("children", "child_arrangements", "attendance", "notifications")
    models = [p for p in projector.projections if p.name in names]
    live = await _read_models(world, models)
    ids_in = {
        t: {v for row in rows for v in row if isinstance(v, UUID)} for t, rows in live.items()
    }
    arranged = ("rm_child_names", "rm_child_delegates", "rm_child_blocked", "rm_child_medication")
    for table in ("rm_children", "rm_child_pickup_adults", "rm_child_day", "rm_notifications",
                  *arranged):  # fmt: skip
        assert erased not in ids_in[table], table
    for table in ("rm_child_day", "rm_notifications", *arranged):
        assert kept in ids_in[table], table
    assert erased in ids_in["rm_attendance_register"]  # the visit stays, unnamed

    for model in models:  # the erased child's events now open as erased
        await projector.rebuild(model)
    assert await _read_models(world, models) == live


async def test_erasure_blanks_the_staffs_words_about_the_child_and_keeps_the_visits_facts(
    world: World,
):
    room = await attending_room(world, clock_in=False)  # nobody clocked in: the admin overrides
    [child] = room.children
    words = "林小雪昨晚发烧，妈妈说的"
    await visit_with_words(world, room, child, words)
    world.runtime.clock.at = NINE + timedelta(hours=1)  # type: ignore[attr-defined]
    out = check_out_body(room, child, room.guardian.phone, minutes=60)
    assert (await world.post("/v1/attendance/check-outs", out, room.admin)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(days=1)  # type: ignore[attr-defined]
    assert (await _erase(world, child, room.guardian)).status_code == 200
    projector = world.runtime.projector
    await projector.wait_until(await world.runtime.store.head_position())

    register = await world.client.get(
        f"/v1/rooms/{room.room_id}/attendance", params={"date": NINE.date().isoformat()},
        headers=world.fresh(room.admin.headers),
    )  # fmt: skip
    [visit] = register.json()
    free_text = ("note", "override_reason", "correction_reason", "observations")
    assert [visit[field] for field in free_text] == ["", "", "", ""]
    assert (visit["checked_in"], visit["checked_out"]) == ("08:55", "10:00")
    audit = await world.client.get(
        f"/v1/institutions/{room.institution_id}/attendance/audit",
        params={"since": NINE.date().isoformat()}, headers=world.fresh(room.admin.headers),
    )  # fmt: skip
    assert [e["detail"] for e in audit.json()] == ["更正（原入园09:00）：入园08:55；原因：", ""]
    feed = await world.runtime.pool.fetch(
        "SELECT data FROM rm_occupancy_feed WHERE institution_id = $1", room.institution_id
    )
    assert feed and not any(words in r["data"] for r in feed)
    model = [p for p in projector.projections if p.name == "attendance"]
    live = await _read_models(world, model)
    await projector.rebuild(model[0])
    assert await _read_models(world, model) == live


async def _read_models(world: World, models: list[Any]) -> dict[str, list[tuple[Any, ...]]]:
    pool = world.runtime.pool
    return {
        t: [tuple(r) for r in await pool.fetch(f"SELECT * FROM {t} ORDER BY {t}")]
        for model in models
        for t in model.tables
    }


@pytest.mark.parametrize("then", ["leaves the waitlist", "the day passes"])
async def test_a_child_on_a_waitlist_is_erased_once_it_left_or_the_day_passed(
    world: World, then: str
):
    institution_id, room_id, _ = await bookable_room(world, capacity=1, staff=1)
    first, parent = await world.guardian(), await world.guardian()
    taken, child = await child_of(world, first), await child_of(world, parent)
    body = booking_body(institution_id, room_id, taken)
    assert (await world.post("/v1/bookings", body, first)).status_code == 201
    body = booking_body(institution_id, room_id, child)
    joined = await world.post("/v1/waitlist", body, parent)
    assert joined.status_code == 201, joined.text
    refused = await _erase(world, child, parent)
    assert (
        refused.status_code == 409 and refused.json()["params"]["entry_id"] == joined.json()["id"]
    )
    if then == "leaves the waitlist":
        left = await world.client.delete(
            f"/v1/waitlist/{joined.json()['id']}", headers={**world.fresh(parent.headers), **idem()}
        )
        assert world.saw(left).status_code == 200, left.text
    else:
        world.runtime.clock = FrozenClock(
            at=datetime.fromisoformat(f"{DAY}T23:59:00+08:00") + timedelta(days=1)
        )
    assert (await _erase(world, child, parent)).status_code == 200


async def test_a_past_day_left_behind_blocks_nothing_and_a_later_correction_brings_nothing_back(
    world: World,
):
    room = await attending_room(world)
    [child] = room.children
    assert (await check_in(world, room, child)).status_code == 201  # and nobody checked out
    world.runtime.clock.at = NINE + timedelta(days=2)  # type: ignore[attr-defined]
    assert (await _erase(world, child, room.guardian)).status_code == 200

    fix = {"child_id": str(child), "room_id": str(room.room_id), "arrived_at": at(-5),
           "left_at": None, "replaces": at(0), "reason": "按纸质签到表更正为 08:55"}  # fmt: skip
    path = f"/v1/institutions/{room.institution_id}/attendance/corrections"
    corrected = await world.post(path, fix, room.admin)
    assert corrected.status_code == 201, corrected.text  # the register is the institution's
    await world.runtime.projector.wait_until(world.last_position)
    assert await _rows(world, "rm_child_day", "child_id", child) == 0
    assert await _rows(world, "rm_notifications", "child_id", child) == 0


async def test_a_no_show_released_after_the_erasure_leaves_no_notice_and_a_rebuild_agrees(
    world: World,
):
    """The child never came to its 09:00–11:00 booking; the family erased it at 11:05, before
    the no-show job ran: the release frees the place but tells nobody about the erased child."""
    room = await attending_room(world, clock_in=False)
    [child] = room.children
    world.runtime.clock.at = NINE + timedelta(hours=2, minutes=5)  # type: ignore[attr-defined]
    assert (await _erase(world, child, room.guardian)).status_code == 200
    assert await release_due_no_shows(world.runtime) == 1
    await _rebuilt_equal_to_live(world, "notifications", "rm_notifications", child)


async def test_a_care_entry_replayed_after_the_erasure_writes_no_line_of_the_childs_day(
    world: World,
):
    """Collected at 10:00 and erased; the room tablet then replays the 09:30 breakfast it
    logged offline for everyone present: the erased child's day gets no line back."""
    room = await attending_room(world)
    [child] = room.children
    assert (await check_in(world, room, child)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(hours=2, minutes=5)  # type: ignore[attr-defined]
    out = check_out_body(room, child, room.guardian.phone, minutes=60)
    assert (await world.post("/v1/attendance/check-outs", out, room.caregiver)).status_code == 201
    assert (await _erase(world, child, room.guardian)).status_code == 200
    care = {"room_id": str(room.room_id), "at": at(30), "kind": "meal", "meal": "breakfast",
            "amount": "most"}  # fmt: skip
    assert (await world.post("/v1/attendance/care-logs", care, room.caregiver)).status_code == 201
    await _rebuilt_equal_to_live(world, "attendance", "rm_child_day", child)


async def _rebuilt_equal_to_live(world: World, model_name: str, table: str, child: UUID) -> None:
    """`table` holds no row of the erased `child`, live and after rebuilding its model."""
    projector = world.runtime.projector
    await projector.wait_until(await world.runtime.store.head_position())
    model = next(p for p in projector.projections if p.name == model_name)
    live = await _read_models(world, [model])
    rows = await world.runtime.pool.fetch(f"SELECT 1 FROM {table} WHERE child_id = $1", child)
    assert rows == [], table
    await projector.rebuild(model)
    assert await _read_models(world, [model]) == live
