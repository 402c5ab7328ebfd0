"""Institutions and rooms over HTTP: filing, the directory, the admin's view, and every refusal."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest

from tests.api.world import World, idem, institution_body


async def test_a_regulator_files_an_institution_and_the_public_directory_lists_it(world: World):
    institution_id, admin = await world.institution()
    await world.add_room(institution_id, admin, name="小太阳班", class_type="infant", capacity=8)

    page = (await world.client.get("/v1/institutions", headers=world.fresh())).json()
    assert page["total"] == 1
    item = page["items"][0]
    assert item["id"] == str(institution_id)
    assert item["category_zh"] == "托育中心"
    assert item["room_places"] == 8 and item["filed_places"] == 40

    detail = (await world.client.get(f"/v1/institutions/{institution_id}")).json()
    assert detail["rooms"][0]["class_type_zh"] == "乳儿班"
    assert detail["rooms"][0]["children_per_carer"] == 3
    assert detail["opening_hours"][0] == {"weekday": 1, "opens": "08:00", "closes": "17:30"}


async def test_the_directory_sorts_by_distance_and_filters_by_district_and_radius(world: World):
    regulator = await world.regulator()
    near, _ = await world.institution(regulator, name="近的托育园", lat=31.3000, lng=120.5900)
    far, _ = await world.institution(
        regulator,
        name="远的托育园",
        district_code="wuzhong",
        town="木渎镇",
        lat=31.2600,
        lng=120.5000,
    )
    headers = world.fresh()
    page = (
        await world.client.get("/v1/institutions?lat=31.2989&lng=120.5853", headers=headers)
    ).json()
    assert [i["id"] for i in page["items"]] == [str(near), str(far)]
    assert page["items"][0]["distance_km"] < page["items"][1]["distance_km"]

    in_radius = (
        await world.client.get("/v1/institutions?lat=31.2989&lng=120.5853&radius_km=2")
    ).json()
    assert [i["id"] for i in in_radius["items"]] == [str(near)]
    wuzhong = (await world.client.get("/v1/institutions?district=wuzhong")).json()
    assert [i["id"] for i in wuzhong["items"]] == [str(far)]


async def test_a_page_past_the_end_of_the_directory_is_empty_but_keeps_the_true_total(
    world: World,
):
    regulator = await world.regulator()
    await world.institution(regulator, name="翻页托育园", district_code="wuzhong", town="木渎镇")
    headers = world.fresh()  # after the filing's position
    first = (
        await world.client.get("/v1/institutions?district=wuzhong&limit=1", headers=headers)
    ).json()
    past = (await world.client.get("/v1/institutions?district=wuzhong&offset=1000")).json()
    assert first["total"] >= 1 and len(first["items"]) == 1
    assert past["items"] == [] and past["total"] == first["total"]
    too_far = await world.client.get("/v1/institutions?offset=-1")
    assert too_far.status_code == 400 and too_far.json()["field"] == "offset"


async def test_the_admin_sees_staff_and_unassigned_places_in_the_admin_view(world: World):
    institution_id, admin = await world.institution()
    await world.add_room(institution_id, admin, capacity=15)
    response = await world.client.get(
        f"/v1/institutions/{institution_id}/admin", headers=world.fresh(admin.headers)
    )
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["unassigned_places"] == 25
    assert [(s["role"], s["display_name"]) for s in view["staff"]] == [
        ("institution_admin", "王园长")
    ]


async def test_an_admin_adds_a_caregiver_who_can_then_sign_in(world: World):
    institution_id, admin = await world.institution()
    response = world.saw(
        await world.client.post(
            f"/v1/institutions/{institution_id}/staff",
            json={
                "phone": "13712345678",
                "display_name": "张老师",
                "password": "correct horse battery",
            },
            headers={**world.fresh(admin.headers), **idem()},
        )
    )
    assert response.status_code == 201, response.text
    caregiver = await world.login("13712345678")
    me = (await world.client.get("/v1/me", headers=caregiver.headers)).json()
    assert me["role"] == "caregiver"
    assert me["institutions"] == {str(institution_id): "caregiver"}


async def test_a_room_larger_than_its_class_type_allows_is_refused_naming_the_field(world: World):
    institution_id, admin = await world.institution()
    response = await world.add_room(institution_id, admin, class_type="infant", capacity=11)
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["type"] == "/problems/invalid-value"
    assert problem["field"] == "capacity"
    assert "乳儿班" in problem["detail"]


async def test_a_looser_ratio_than_the_national_rule_is_refused(world: World):
    institution_id, admin = await world.institution()
    response = await world.add_room(
        institution_id, admin, class_type="toddler", capacity=10, children_per_carer=6
    )
    assert response.status_code == 422
    assert response.json()["field"] == "children_per_carer"


async def test_rooms_may_not_hold_more_children_than_the_filed_places(world: World):
    institution_id, admin = await world.institution(filed_places=20)
    assert (await world.add_room(institution_id, admin, capacity=15)).status_code == 201
    response = await world.add_room(institution_id, admin, capacity=10)
    assert response.status_code == 409
    assert response.json()["params"] == {"total": 25, "filed_places": 20}


async def test_overlapping_opening_hours_are_refused(world: World):
    regulator = await world.regulator()
    hours = [
        {"weekday": 1, "opens": "08:00", "closes": "12:00"},
        {"weekday": 1, "opens": "11:30", "closes": "17:00"},
    ]
    response = await world.client.post(
        "/v1/institutions",
        json=institution_body(opening_hours=hours),
        headers={**regulator.headers, **idem()},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "opening_hours"
    assert "overlap" in response.json()["detail"]


async def test_coordinates_outside_range_are_refused_naming_the_field(world: World):
    regulator = await world.regulator()
    response = await world.client.post(
        "/v1/institutions", json=institution_body(lat=95.0), headers={**regulator.headers, **idem()}
    )
    assert response.status_code == 400
    assert response.json()["field"] == "lat"


async def test_an_unknown_district_is_refused(world: World):
    regulator = await world.regulator()
    response = await world.client.post(
        "/v1/institutions",
        json=institution_body(district_code="atlantis"),
        headers={**regulator.headers, **idem()},
    )
    assert response.status_code == 404
    assert response.json()["field"] == "district_code"


@pytest.mark.parametrize(("timezone", "status"), [("Mars/Olympus", 422), ("a" * 5000, 400)])
async def test_an_unknown_or_overlong_time_zone_is_refused(
    world: World, timezone: str, status: int
):
    regulator = await world.regulator()
    response = await world.client.post(
        "/v1/institutions",
        json=institution_body(timezone=timezone),
        headers={**regulator.headers, **idem()},
    )
    assert response.status_code == status, response.text
    assert response.json()["field"] == "timezone"


async def test_a_refused_filing_leaves_nothing_half_written(world: World):
    regulator = await world.regulator()
    body = institution_body(filed_places=6, category="home_based")
    response = await world.client.post(
        "/v1/institutions", json=body, headers={**regulator.headers, **idem()}
    )
    assert response.status_code == 422
    # The admin's account was part of the same command: it must not exist either.
    login = await world.client.post(
        "/v1/auth/password",
        json={"phone": body["admin"]["phone"], "password": "correct horse battery"},
    )
    assert login.status_code == 401
    assert (await world.client.get("/v1/institutions", headers=world.fresh())).json()["total"] == 0


async def test_a_guardian_cannot_call_an_admin_route(world: World):
    institution_id, _ = await world.institution()
    guardian = await world.guardian()
    response = await world.client.post(
        f"/v1/institutions/{institution_id}/rooms",
        json={"name": "x", "class_type": "toddler", "capacity": 5},
        headers={**guardian.headers, **idem()},
    )
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/forbidden"


async def test_an_admin_of_one_institution_cannot_edit_another(world: World):
    regulator = await world.regulator()
    x, admin_x = await world.institution(regulator)
    y, _ = await world.institution(regulator, name="另一家")
    response = await world.add_room(y, admin_x)
    assert response.status_code == 403
    view = await world.client.get(
        f"/v1/institutions/{y}/admin", headers=world.fresh(admin_x.headers)
    )
    assert view.status_code == 403
    assert (await world.add_room(x, admin_x)).status_code == 201


async def test_a_district_regulator_cannot_file_in_another_district(world: World):
    gusu_regulator = await world.regulator("gusu")
    response = await world.client.post(
        "/v1/institutions",
        json=institution_body(district_code="wuzhong", town="木渎镇"),
        headers={**gusu_regulator.headers, **idem()},
    )
    assert response.status_code == 403


async def test_a_caregiver_cannot_file_an_institution(world: World):
    institution_id, admin = await world.institution()
    await world.client.post(
        f"/v1/institutions/{institution_id}/staff",
        json={
            "phone": "13712345679",
            "display_name": "赵老师",
            "password": "correct horse battery",
        },
        headers={**world.fresh(admin.headers), **idem()},
    )
    caregiver = await world.login("13712345679")
    response = await world.client.post(
        "/v1/institutions", json=institution_body(), headers={**caregiver.headers, **idem()}
    )
    assert response.status_code == 403


async def test_commands_without_an_idempotency_key_are_refused(world: World):
    regulator = await world.regulator()
    response = await world.client.post(
        "/v1/institutions", json=institution_body(), headers=regulator.headers
    )
    assert response.status_code == 428
    assert "Idempotency-Key" in response.json()["detail"]


async def test_a_replayed_key_returns_the_first_answer_and_writes_once(world: World):
    regulator = await world.regulator()
    body = institution_body()
    headers = {**regulator.headers, "Idempotency-Key": "filing-0001"}
    responses = await asyncio.gather(
        *(world.client.post("/v1/institutions", json=body, headers=headers) for _ in range(20))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    page = (await world.client.get("/v1/institutions", headers=world.fresh())).json()
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    page = (await world.client.get("/v1/institutions")).json()
    assert page["total"] == 1


async def test_the_same_key_with_a_different_body_is_refused(world: World):
    regulator = await world.regulator()
    headers = {**regulator.headers, "Idempotency-Key": "filing-0002"}
    first = await world.client.post("/v1/institutions", json=institution_body(), headers=headers)
    assert first.status_code == 201
    second = await world.client.post(
        "/v1/institutions", json=institution_body(name="别的名字"), headers=headers
    )
    assert second.status_code == 422
    assert second.json()["type"] == "/problems/idempotency-key-reused"


async def test_concurrent_room_additions_all_land_without_exceeding_filed_places(world: World):
    institution_id, admin = await world.institution(filed_places=100)
    responses = await asyncio.gather(
        *(world.add_room(institution_id, admin, name=f"班{i}", capacity=15) for i in range(10))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 6 and statuses.count(409) == 4  # 6 × 15 = 90 ≤ 100
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    detail = (await world.client.get(f"/v1/institutions/{institution_id}")).json()
    assert len(detail["rooms"]) == 6


async def test_an_unknown_institution_is_a_404_problem(world: World):
    response = await world.client.get(f"/v1/institutions/{uuid4()}")
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/not-found"
