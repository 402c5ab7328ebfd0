"""Input is refused before any handler sees it when it is not what it must be: a string where a
number or a boolean belongs, and text with control characters (a NUL would stop every read
model for everyone). Each refusal names the field, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.attendance_world import attending_room, check_out_body
from tests.api.booking_world import EIGHTEEN_MONTHS_OLD, child_of
from tests.api.days import DAY
from tests.api.world import World, new_phone


async def _events(world: World) -> int:
    return await world.runtime.pool.fetchval("SELECT count(*) FROM events")


def _refused(response: Any, field: str) -> str:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["field"] == field, problem
    return str(problem["detail"])


async def test_a_guardians_consent_given_as_the_string_true_is_no_consent(world: World):
    guardian = await world.guardian()
    before = await _events(world)
    body = {"name": "小宝", "birth_date": EIGHTEEN_MONTHS_OLD.isoformat(), "sex": "male",
            "consent_care_booking": "true"}  # fmt: skip
    response = await world.post("/v1/children", body, guardian)
    assert "Expected `bool`, got `str`" in _refused(response, "consent_care_booking")
    assert await _events(world) == before


async def test_a_number_given_as_a_string_is_refused_naming_it(world: World):
    institution_id, admin = await world.institution()
    room = {"name": "向日葵班", "class_type": "toddler", "capacity": "5"}
    response = await world.post(f"/v1/institutions/{institution_id}/rooms", room, admin)
    _refused(response, "capacity")


@pytest.mark.parametrize("text", ["外婆\x00", "外\x01婆", "\x1f外婆", "外\b婆", "外\f婆"])
async def test_a_name_with_a_control_character_is_refused_and_the_read_models_keep_going(
    world: World, text: str
):
    guardian = await world.guardian()
    child = await child_of(world, guardian)
    before = await _events(world)
    adult = {"name": text, "phone": new_phone(), "relation": "外婆"}
    response = await world.post(f"/v1/children/{child}/pickup-adults", adult, guardian)
    assert "control characters" in _refused(response, "name")
    assert await _events(world) == before

    institution_id, _ = await world.institution(name="后来的托育中心")  # the projector runs on
    found = await world.client.get(f"/v1/institutions/{institution_id}", headers=world.fresh())
    assert found.status_code == 200, found.text


async def test_a_control_character_deep_in_a_body_is_named_by_its_path(world: World):
    room = await attending_room(world)
    body = check_out_body(room, room.children[0], room.guardian.phone)
    body["collector"]["name"] = "李\x00妈妈"
    response = await world.post("/v1/attendance/check-outs", body, room.caregiver)
    _refused(response, "collector.name")


async def test_a_backslash_and_u0000_typed_as_text_and_lines_in_a_note_are_kept(world: World):
    guardian = await world.guardian()
    child = await child_of(world, guardian)
    adult = {"name": "外婆\\u0000", "phone": new_phone(), "relation": "外婆\t(母亲的\n母亲)"}
    response = await world.post(f"/v1/children/{child}/pickup-adults", adult, guardian)
    assert response.status_code == 201, response.text


async def test_a_query_parameter_with_a_control_character_is_refused_naming_it(world: World):
    response = await world.client.get("/v1/institutions?district=gu%00su")
    _refused(response, "district")


@pytest.mark.parametrize("position", [b"\xb2", b"1\xb2", b"-1", b"9" * 30])
async def test_a_min_position_that_is_no_position_is_ignored(world: World, position: bytes):
    """Headers arrive as latin-1: "²" passes `str.isdigit` and fails `int`."""
    response = await world.client.get("/v1/institutions", headers={"X-Min-Position": position})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("start", "end"), [("11:00", "09:00"), ("09:00", "09:00")])
async def test_a_search_that_ends_before_it_starts_is_refused_naming_the_end(
    world: World, start: str, end: str
):
    guardian = await world.guardian()
    child = await child_of(world, guardian)
    response = await world.client.get(
        "/v1/availability", headers=world.fresh(guardian.headers),
        params={"lat": 31.3195, "lng": 120.629, "radius_km": 5, "date": DAY, "start": start,
                "end": end, "child_id": str(child)},
    )  # fmt: skip
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "end"
