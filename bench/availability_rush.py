"""Diagnostic of benchmark 5 (not judged): the same searches while bookings land across the city.

In the measured window nobody books, so after the first search of a room-day the process's
copy of who is present answers for it (docs/adr/0016). Here the open-loop client
(bench/open_loop.py) also books `rate` children a second, through POST /v1/bookings, into
random rooms of the demo city that take a 30-month-old (托大班, mixed, home-based), on the
searched day and interval (10:00–13:00): each booking accepted makes the next search of its
room read that room-day again.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from bench.availability_http import CLIENTS, END, START, search_requests
from bench.hot_world import Draw, HotWorld
from bench.http_load import Outcomes, Request
from bench.open_loop import ABANDON_AFTER, Connections, Job, schedule
from bench.raw_http import encode, raw_window
from bench.report import Section
from bench.servers import CpuMeter, Server, cpu_text
from domain.class_types import ClassType

_TAKES_A_30_MONTH_OLD = (ClassType.older_toddler, ClassType.mixed, ClassType.home_based)


async def searches_while_booking(
    section: Section, server: Server, world: HotWorld, day: date, duration: float, rate: float,
    progress: Any,
) -> None:  # fmt: skip
    """Measured into `section` (benchmark 5's), with the bookings' statuses in a note."""
    world.mint_tokens()
    await server.db.checkpoint()
    label = f"diagnostic: GET /v1/availability, 8 clients, {rate:g} bookings/s landing"
    out = Outcomes(label, "diagnostic")
    rooms = [
        (i.institution_id, r.room_id)
        for i in world.city.institutions
        for r in i.rooms
        if r.class_type in _TAKES_A_30_MONTH_OLD
    ]
    booked: Counter[int | str] = Counter()
    draw = Draw(world.children[CLIENTS:])  # not the searchers' children
    rng = random.Random(5)

    def booking() -> Request:
        institution_id, room_id = rng.choice(rooms)
        child, guardian = draw()
        return _booking(world, institution_id, room_id, day, child, guardian)

    def answered(status: int | str, body: bytes, _sent: float, _at: float) -> None:
        problem = isinstance(status, int) and status >= 400
        booked[f"{status} {_problem(body)}" if problem else status] += 1

    def send(due: float) -> None:
        bookings.submit(Job(due, encode(booking()), answered))

    search = search_requests(world, day, random.Random(11))
    searching = raw_window(server.port, CLIENTS, search, out, 1.0, duration,
                           CpuMeter(server.db, server.pid), accepted=200)  # fmt: skip
    bookings = Connections(server.port, 2, ABANDON_AFTER)  # the bench's open-loop client
    await bookings.open()
    started = time.perf_counter()
    await asyncio.gather(searching, schedule(rate, started, started + 1.0 + duration, send))
    await bookings.close()  # after the bookings still queued
    progress(
        f"  {label}: {out.responses / out.seconds:,.0f}/s, p99 {out.percentile_ms(0.99):.1f} ms"
    )
    section.measure(out.label, out.role, out.summary())
    section.notes.append(
        f"while bookings landed (statuses {dict(booked)}: each 201 makes its room-day be read"
        f" again), the searches: p50 {out.percentile_ms(0.5):.2f} ms, p99"
        f" {out.percentile_ms(0.99):.2f} ms ({cpu_text(out.cpu[0]) if out.cpu else 'no CPU sample'})."
    )


def _booking(
    world: HotWorld, institution_id: UUID, room_id: UUID, day: date, child: UUID, guardian: UUID
) -> Request:
    body = {
        "child_id": str(child), "institution_id": str(institution_id), "room_id": str(room_id),
        "date": day.isoformat(), "start": START, "end": END, "care_type": "hourly",
    }  # fmt: skip
    headers = {**world.headers(guardian), "Idempotency-Key": uuid4().hex}
    return "POST", "/v1/bookings", body, headers


def _problem(body: bytes) -> str:
    try:
        return str(json.loads(body)["type"]).rsplit("/", 1)[-1]
    except (ValueError, KeyError, TypeError):
        return "?"
