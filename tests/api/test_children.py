"""Children's data: consent first, co-guardians and pick-up adults, and every staff read logged."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from backend.clock import FrozenClock
from tests.api.booking_world import DAY, bookable_room, booking_body, child_of
from tests.api.days import NINE, months_before_day
from tests.api.world import World, idem


async def test_a_child_without_the_guardians_consent_is_refused(world: World):
    guardian = await world.guardian()
    response = await world.client.post(
        "/v1/children",
        json={"name": "小宝", "birth_date": months_before_day(18).isoformat(), "sex": "male",
              "consent_care_booking": False},
        headers={**guardian.headers, **idem()},
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["field"] == "consent"


async def test_a_birth_date_in_the_future_is_refused(world: World):
    guardian = await world.guardian()
    response = await world.client.post(
        "/v1/children",
        json={"name": "小宝", "birth_date": "2099-01-01", "sex": "male",
              "consent_care_booking": True},
        headers={**guardian.headers, **idem()},
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["field"] == "birth_date"


async def test_a_co_guardian_added_by_phone_sees_the_child_after_signing_in(world: World):
    parent = await world.guardian()
    child = await child_of(world, parent)
    added = world.saw(
        await world.client.post(
            f"/v1/children/{child}/guardians",
            json={"phone": "13612340000", "display_name": "孩子爸爸"},
            headers={**world.fresh(parent.headers), **idem()},
        )
    )
    assert added.status_code == 201, added.text
    other = (await world.guardian("13612340000")).headers
    mine = await world.client.get("/v1/children", headers=world.fresh(other))
    assert [c["id"] for c in mine.json()] == [str(child)]


async def test_pick_up_adults_are_listed_on_the_childs_profile(world: World):
    parent = await world.guardian()
    child = await child_of(world, parent)
    response = world.saw(
        await world.client.post(
            f"/v1/children/{child}/pickup-adults",
            json={"name": "王外婆", "phone": "+86 139-1234-5678", "relation": "外婆"},
            headers={**world.fresh(parent.headers), **idem()},
        )
    )
    assert response.status_code == 201, response.text
    profile = (
        await world.client.get(f"/v1/children/{child}", headers=world.fresh(parent.headers))
    ).json()
    assert profile["pickup_adults"] == [
        {"name": "王外婆", "phone": "13912345678", "relation": "外婆"}
    ]


async def test_staff_read_a_booked_childs_profile_and_the_guardian_sees_that_in_the_log(
    world: World,
):
    institution_id, room_id, admin = await bookable_room(world)
    _, _, other_admin = await bookable_room(world)
    parent = await world.guardian()
    child = await child_of(world, parent)
    before = await world.client.get(f"/v1/children/{child}", headers=world.fresh(admin.headers))
    assert before.status_code == 403  # not booked there yet
    world.saw(
        await world.client.post(
            "/v1/bookings",
            json=booking_body(institution_id, room_id, child),
            headers={**world.fresh(parent.headers), **idem()},
        )  # fmt: skip
    )
    read = await world.client.get(f"/v1/children/{child}", headers=world.fresh(admin.headers))
    assert read.status_code == 200
    elsewhere = await world.client.get(
        f"/v1/children/{child}", headers=world.fresh(other_admin.headers)
    )
    assert elsewhere.status_code == 403
    log = (
        await world.client.get(f"/v1/children/{child}/access-log", headers=parent.headers)
    ).json()
    assert [(entry["role"], entry["reader"]) for entry in log] == [("institution_admin", "王园长")]
    assert DAY  # the booking above is for this day


async def test_a_regulator_cannot_read_a_childs_profile(world: World):
    parent = await world.guardian()
    child = await child_of(world, parent)
    regulator = await world.regulator()
    response = await world.client.get(f"/v1/children/{child}", headers=regulator.headers)
    assert response.status_code == 403


async def test_staff_read_a_childs_profile_until_thirty_days_after_its_last_care_there(
    world: World,
):
    institution_id, room_id, admin = await bookable_room(world)
    parent = await world.guardian()
    child = await child_of(world, parent)
    booked = await world.post("/v1/bookings", booking_body(institution_id, room_id, child), parent)
    assert booked.status_code == 201, booked.text
    ends = NINE + timedelta(hours=2)  # booked 09:00–11:00 on DAY

    async def staff_read_at(moment: datetime) -> int:
        world.runtime.clock = FrozenClock(at=moment)
        response = await world.client.get(f"/v1/children/{child}",
                                          headers=world.fresh(admin.headers))  # fmt: skip
        return response.status_code

    assert await staff_read_at(ends + timedelta(days=29)) == 200
    assert await staff_read_at(ends + timedelta(days=31)) == 403


async def test_a_cancelled_booking_no_longer_opens_the_childs_profile_to_that_institution(
    world: World,
):
    institution_id, room_id, admin = await bookable_room(world)
    parent = await world.guardian()
    child = await child_of(world, parent)
    booked = world.saw(
        await world.client.post(
            "/v1/bookings",
            json=booking_body(institution_id, room_id, child),
            headers={**world.fresh(parent.headers), **idem()},
        )  # fmt: skip
    )
    assert booked.status_code == 201, booked.text
    read = await world.client.get(f"/v1/children/{child}", headers=world.fresh(admin.headers))
    assert read.status_code == 200
    cancelled = world.saw(
        await world.client.post(
            f"/v1/bookings/{booked.json()['id']}/cancel",
            json={},
            headers={**world.fresh(parent.headers), **idem()},
        )  # fmt: skip
    )
    assert cancelled.status_code == 200, cancelled.text
    after = await world.client.get(f"/v1/children/{child}", headers=world.fresh(admin.headers))
    assert after.status_code == 403


PEOPLE_AND_MEDICINES = [
    ("pickup-adults", {"name": "  ", "phone": "13955550001", "relation": "外婆"}, "name"),
    ("pickup-adults", {"name": "王外婆", "phone": "13955550001", "relation": " "}, "relation"),
    ("delegates", {"name": " ", "phone": "13955550001", "day": DAY}, "name"),
    ("blocked-collectors", {"name": " ", "phone": "13955550001", "reason": "法院判决"}, "name"),
    ("medication-authorisations", {"medicine": " ", "dose": "5 ml", "max_doses_per_day": 1,
                                   "first_day": DAY, "last_day": DAY}, "medicine"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "body", "field"), PEOPLE_AND_MEDICINES,
    ids=["adult-blank-name", "adult-blank-relation", "delegate-blank-name",
         "blocked-blank-name", "medicine-blank"],
)  # fmt: skip
async def test_a_blank_name_of_the_childs_people_or_medicine_is_refused_and_nothing_written(
    world: World, path: str, body: dict, field: str
):
    parent = await world.guardian()
    child = await child_of(world, parent)
    before = await world.runtime.store.head_position()
    refused = await world.post(f"/v1/children/{child}/{path}", body, parent)
    assert refused.status_code == 422, refused.text
    assert (refused.json()["type"], refused.json()["field"]) == ("/problems/invalid-value", field)
    assert await world.runtime.store.head_position() == before


async def test_a_person_who_must_not_collect_is_no_longer_and_cannot_become_a_pick_up_adult(
    world: World,
):
    parent = await world.guardian()
    child = await child_of(world, parent)
    grandmother = {"name": "王外婆", "phone": "13955550001", "relation": "外婆"}
    assert (await world.post(f"/v1/children/{child}/pickup-adults", grandmother,
                             parent)).status_code == 201  # fmt: skip
    blocked = {"name": "王外婆", "phone": "13955550001", "reason": "法院判决"}
    assert (await world.post(f"/v1/children/{child}/blocked-collectors", blocked,
                             parent)).status_code == 201  # fmt: skip
    profile = await world.client.get(f"/v1/children/{child}", headers=world.fresh(parent.headers))
    assert profile.json()["pickup_adults"] == []
    again = await world.post(f"/v1/children/{child}/pickup-adults", grandmother, parent)
    assert again.status_code == 409, again.text
    assert (again.json()["type"], again.json()["field"]) == ("/problems/collector-blocked", "phone")


async def test_a_health_record_dated_before_the_childs_birth_is_refused(world: World):
    institution_id, room_id, admin = await bookable_room(world)
    parent = await world.guardian()
    child = await child_of(world, parent)
    booked = await world.post("/v1/bookings", booking_body(institution_id, room_id, child), parent)
    assert booked.status_code == 201, booked.text
    record = {"kind": "admission", "examined_on": "2000-01-01", "passed": True,
              "vaccination_checked": True}  # fmt: skip
    refused = await world.post(f"/v1/children/{child}/health-records", record, admin)
    assert refused.status_code == 422 and refused.json()["field"] == "examined_on", refused.text
