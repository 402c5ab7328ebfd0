"""A bookable room for API tests: offers, roster, refund policy, and children with guardians."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from backend.services import children
from domain.child.aggregate import Sex
from tests.api.days import DAY, TODAY, day, months_before_day
from tests.api.world import Caller, World, idem

EIGHTEEN_MONTHS_OLD = months_before_day(18)  # a 托小班 child on DAY, old enough to mix
HOURLY = {
    "care_type": "hourly",
    "weekdays": [1, 2, 3, 4, 5],
    "opens": "08:00",
    "closes": "17:30",
    "price_fen": 3000,
    "pricing": "per_hour",
    "min_notice_minutes": 60,
    "max_minutes_per_visit": 300,
    "max_minutes_per_day": 480,
}


FULL_DAY = {
    "care_type": "full_day", "weekdays": [1, 2, 3, 4, 5], "opens": "08:00", "closes": "17:30",
    "price_fen": 12000, "pricing": "per_session",
}  # fmt: skip


def enrolment(institution_id: UUID, room_id: UUID, child: UUID, **overrides: Any) -> dict:
    """A regular place Mon/Wed/Fri 08:30–17:00 from DAY for 31 days (a 全日托 term)."""
    body = {
        "child_id": str(child), "institution_id": str(institution_id), "room_id": str(room_id),
        "care_type": "full_day", "weekdays": [1, 3, 5], "first_day": DAY, "last_day": day(30),
        "start": "08:30", "end": "17:00",
    }  # fmt: skip
    return {**body, **overrides}


async def put(world: World, path: str, body: dict[str, Any], who: Caller) -> Any:
    response = world.saw(
        await world.client.put(path, json=body, headers={**world.fresh(who.headers), **idem()})
    )
    assert response.status_code == 200, response.text
    return response


async def bookable_room(
    world: World, *, class_type: str = "toddler", capacity: int = 15, staff: int = 3,
    offers: list[dict[str, Any]] | None = None,
) -> tuple[UUID, UUID, Caller]:  # fmt: skip
    """An institution with one room offering hourly care Mon–Fri 08:00–17:30."""
    institution_id, admin = await world.institution()
    room = await world.add_room(institution_id, admin, class_type=class_type, capacity=capacity)
    room_id = UUID(room.json()["id"])
    base = f"/v1/institutions/{institution_id}"
    await put(world, f"{base}/rooms/{room_id}/offers", {"offers": offers or [HOURLY]}, admin)
    shifts = [
        {"weekday": d, "starts": "08:00", "ends": "17:30", "staff": staff} for d in range(1, 6)
    ]
    await put(world, f"{base}/rooms/{room_id}/roster", {"shifts": shifts}, admin)
    await put(
        world, f"{base}/refund-policy",
        {"full_refund_hours_before": 24, "late_refund_percent": 50}, admin,
    )  # fmt: skip
    return institution_id, room_id, admin


async def child_of(world: World, guardian: Caller, birth: str | None = None) -> UUID:
    response = world.saw(
        await world.client.post(
            "/v1/children",
            json={
                "name": "小宝",
                "birth_date": birth or EIGHTEEN_MONTHS_OLD.isoformat(),
                "sex": "female",
                "consent_care_booking": True,
            },
            headers={**guardian.headers, **idem()},
        )
    )
    assert response.status_code == 201, response.text
    return UUID(response.json()["id"])


async def many_children(world: World, guardian: Caller, count: int) -> list[UUID]:
    """Children registered straight through the command path (fast), all of one guardian."""
    ids = []
    for _ in range(count):
        child_id = uuid.uuid4()
        await world.run(
            lambda uow, ctx, child_id=child_id: children.register_child(
                uow,
                ctx.now,
                child_id=child_id,
                guardian_id=guardian.account_id,
                name="小宝",
                birth_date=EIGHTEEN_MONTHS_OLD,
                sex=Sex.male,
                consent=True,
                today=TODAY,
            )  # fmt: skip
        )
        ids.append(child_id)
    return ids


def booking_body(
    institution_id: UUID, room_id: UUID, child_id: UUID, start: str = "09:00", end: str = "11:00"
) -> dict[str, Any]:
    return {
        "child_id": str(child_id), "institution_id": str(institution_id), "room_id": str(room_id),
        "date": DAY, "start": start, "end": end, "care_type": "hourly",
    }  # fmt: skip


async def found_by_search(
    world: World, who: Caller, child: UUID, start: str = "09:00", end: str = "11:00"
) -> set[str]:
    """The institutions the availability search finds for `child` on DAY near the test city."""
    search = await world.client.get(
        "/v1/availability", headers=world.fresh(who.headers),
        params={"lat": 31.3195, "lng": 120.6290, "radius_km": 5, "date": DAY,
                "start": start, "end": end, "child_id": str(child)},
    )  # fmt: skip
    assert search.status_code == 200, search.text
    return {found["institution_id"] for found in search.json()}
