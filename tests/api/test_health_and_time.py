"""Health probes, and time that tests control: codes expire on the injected clock, not the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.clock import FrozenClock
from tests.api.world import World, new_phone


async def test_liveness_answers_without_a_token(world: World):
    response = await world.client.get("/health/live")
    assert response.status_code == 200 and response.json() == {"status": "live"}


async def test_readiness_reports_each_read_model_caught_up(world: World):
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    response = await world.client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True and body["database"] is True
    assert {p["name"] for p in body["projections"]} == {
        "cities",
        "accounts",
        "institutions",
        "attendance",
        "children",
        "child_arrangements",
        "bookings",
        "notifications",
        "waitlist",
        "enrolments",
    }
    assert all(p["events_behind"] == 0 for p in body["projections"])


async def test_readiness_fails_while_a_read_model_lags_too_far(world: World):
    await world.runtime.projector.stop()  # nobody applies events any more
    world.runtime.settings = type(world.runtime.settings)(
        database_url=world.runtime.settings.database_url, ready_max_lag_events=0
    )
    await world.regulator()
    response = await world.client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["ready"] is False


async def test_a_sign_in_code_expires_after_five_minutes_on_the_injected_clock(world: World):
    clock = FrozenClock(at=datetime(2026, 9, 1, 8, 0, tzinfo=UTC))
    world.runtime.clock = clock
    phone = new_phone("136")
    await world.client.post("/v1/auth/otp/request", json={"phone": phone})
    code = world.runtime.sms.codes[phone]  # type: ignore[attr-defined]
    clock.at += timedelta(minutes=5, seconds=1)
    response = await world.client.post("/v1/auth/otp/verify", json={"phone": phone, "code": code})
    assert response.status_code == 401
    assert response.json()["type"] == "/problems/otp-expired"
