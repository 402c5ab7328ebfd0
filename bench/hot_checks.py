"""Checks after a hot-room window: read models caught up, nothing overbooked, every 201 recorded."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from domain.booking.room_day import room_day_id

_PEAK = (
    "SELECT coalesce(max(n), 0) FROM (SELECT m, count(*) AS n FROM rm_bookings b,"
    " generate_series(b.start_min, b.end_min - 1) AS m WHERE b.room_id = $1 AND b.day = $2"
    " AND b.status IN ('confirmed', 'checked_in') GROUP BY m) AS per_minute"
)


async def settle(url: str, timeout: float = 180.0) -> tuple[float, int]:
    """Wait until every read model of the server has applied every event.
    Returns the seconds it took and how many events the slowest one was behind at first."""
    started, first_lag = time.perf_counter(), -1
    async with httpx.AsyncClient(base_url=url, timeout=10.0) as client:
        while time.perf_counter() - started < timeout:
            body = (await client.get("/health/ready")).json()
            lag = max((p["events_behind"] for p in body.get("projections", [])), default=0)
            first_lag = lag if first_lag < 0 else first_lag
            if lag == 0:
                break
            await asyncio.sleep(0.2)
    return time.perf_counter() - started, max(first_lag, 0)


async def room_day_check(
    pool: asyncpg.Pool, room_id: UUID, day: date, capacity: int, answered_201: int
) -> dict[str, Any]:
    """CareBooked events on the stream, confirmed rows in rm_bookings, the fullest minute."""
    stream = room_day_id(room_id, day)
    events = await pool.fetchval(
        "SELECT count(*) FROM events WHERE stream_id = $1 AND topic LIKE '%RoomDay.CareBooked'",
        stream,
    )
    rows = await pool.fetchval(
        "SELECT count(*) FROM rm_bookings WHERE room_id = $1 AND day = $2 AND status = 'confirmed'",
        room_id,
        day,
    )
    peak = await pool.fetchval(_PEAK, room_id, day)
    return {
        "room_day": str(stream),
        "capacity": capacity,
        "answered_201": answered_201,
        "care_booked_events": int(events),
        "rm_bookings_rows": int(rows),
        "fullest_minute": int(peak),
        "overbooked": max(int(peak) - capacity, 0),
        "consistent": int(events) == int(rows) == answered_201,
    }


def check_text(name: str, check: dict[str, Any]) -> str:
    verdict = "consistent" if check["consistent"] else "MISMATCH"
    return (
        f"{name}: {check['answered_201']:,} answered 201, {check['care_booked_events']:,}"
        f" CareBooked events, {check['rm_bookings_rows']:,} rm_bookings rows ({verdict});"
        f" fullest minute {check['fullest_minute']} of {check['capacity']} places"
        f" (overbooked by {check['overbooked']})"
    )
