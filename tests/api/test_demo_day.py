"""The demo city is ready to try: its rooms offer care, and a demo caregiver checks a demo
family's child in on the next weekday morning."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from backend.clock import FrozenClock
from backend.demo.generator import generate_city
from backend.demo.loader import load_demo
from backend.demo.model import DEMO_PASSWORD
from tests.api.world import World, idem

SMALL = generate_city("small", reference_date=datetime.now(UTC).date())  # as loaded today


def next_weekday_nine(now: datetime) -> datetime:
    day = now.astimezone(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    local = datetime.combine(day, time(9, 0), tzinfo=ZoneInfo("Asia/Shanghai"))
    return local.astimezone(UTC)


async def test_a_demo_caregiver_checks_in_a_demo_child_on_the_next_weekday(world: World):
    report = await load_demo(world.runtime, SMALL)
    assert report.enrolled > 0
    world.last_position = await world.runtime.store.head_position()
    first = SMALL.institutions[0]
    carer = first.caregivers[0]
    response = await world.client.post(
        "/v1/auth/password", json={"phone": carer.phone, "password": DEMO_PASSWORD}
    )
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    enrolled = await world.runtime.pool.fetchrow(
        "SELECT child_id, room_id FROM rm_enrolments WHERE institution_id = $1 LIMIT 1",
        first.institution_id,
    )
    nine = next_weekday_nine(datetime.now(UTC))
    world.runtime.clock = FrozenClock(at=nine)
    clock_in = await world.client.post(
        "/v1/staff/clock-ins", json={"room_id": str(enrolled["room_id"]), "at": nine.isoformat()},
        headers={**world.fresh(headers), **idem()},
    )  # fmt: skip
    assert clock_in.status_code == 201, clock_in.text
    world.saw(clock_in)
    body = {
        "child_id": str(enrolled["child_id"]), "room_id": str(enrolled["room_id"]),
        "at": nine.isoformat(), "health_check": {"temperature_c": 36.5}, "method": "manual",
    }  # fmt: skip
    check_in = await world.client.post(
        "/v1/attendance/check-ins", json=body, headers={**world.fresh(headers), **idem()}
    )
    assert check_in.status_code == 201, check_in.text
    assert check_in.json()["enrolment_id"] is not None
