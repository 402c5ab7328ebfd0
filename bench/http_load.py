"""Load from the bench process: N HTTP clients (an httpx.AsyncClient each), or N asyncpg row-lock tasks.

Every client sends its next request as soon as the last one is answered (closed loop).
A response counts if its request started after the warm-up and it arrived before the window
closed (as bench/timing.py); its latency is recorded whatever its status.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx

from bench.db import BenchDatabase
from bench.servers import CpuMeter

Request = tuple[str, str, Any, dict[str, str]]  # method, path, JSON body or query params, headers
ROWLOCK_SCHEMA = """
DROP TABLE IF EXISTS bench_hot_capacity, bench_hot_rowlock, bench_hot_plain;
CREATE TABLE bench_hot_capacity (room_day uuid PRIMARY KEY, capacity int NOT NULL,
    booked int NOT NULL);
CREATE TABLE bench_hot_rowlock (id uuid PRIMARY KEY, room_day uuid NOT NULL, child_id uuid NOT NULL,
    start_min int NOT NULL, end_min int NOT NULL, booked_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX ON bench_hot_rowlock (room_day);
CREATE TABLE bench_hot_plain (id uuid PRIMARY KEY, child_id uuid NOT NULL, room_id uuid NOT NULL,
    day date NOT NULL, start_min int NOT NULL, end_min int NOT NULL,
    booked_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX ON bench_hot_plain (room_id, day);
"""


@dataclass
class Outcomes:
    """What one contestant's clients got in its windows."""

    label: str
    role: str
    accepted: int = 0
    refused: int = 0
    all_accepted: int = 0  # every accepted answer, warm-up and stragglers included
    other: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    per_second: list[int] = field(default_factory=list)  # accepted per second, windows joined
    cpu: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    @property
    def responses(self) -> int:
        return self.accepted + self.refused + sum(self.other.values())

    def percentile_ms(self, q: float) -> float | None:
        if len(self.latencies) < 2:
            return None
        cuts = statistics.quantiles(self.latencies, n=1000, method="inclusive")
        return cuts[min(int(q * 1000) - 1, len(cuts) - 1)] * 1000

    def cpu_per(self, what: str = "accepted") -> str:
        """CPU milliseconds each side spent per accepted request (or per answer)."""
        n = self.accepted if what == "accepted" else self.responses
        if not self.cpu or not n:
            return f"no CPU per {what}"
        spent = {
            side: sum(c[f"{side}_cores"] * c["wall_s"] for c in self.cpu) / n * 1000
            for side in ("server", "postgres", "bench_client")
        }
        return (
            f"CPU per {what}: server {spent['server']:.2f} ms, PostgreSQL {spent['postgres']:.2f} ms,"
            f" bench {spent['bench_client']:.2f} ms"
        )

    def summary(self) -> dict[str, Any]:
        p50, p99 = self.percentile_ms(0.50), self.percentile_ms(0.99)
        return {
            "events": self.accepted,
            "refused": self.refused,
            "other": dict(self.other),
            "responses": self.responses,
            "seconds": round(self.seconds, 3),
            "events_per_s": round(self.rate, 1),
            "responses_per_s": round(self.responses / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": None if p50 is None else round(p50, 2),
            "p99_ms": None if p99 is None else round(p99, 2),
            "accepted_per_second": self.per_second,
            "cpu": self.cpu,
        }


class _Window:
    def __init__(self, warmup: float, duration: float) -> None:
        self.begin = time.perf_counter() + warmup
        self.end = self.begin + duration
        self.buckets = [0] * max(int(duration + 0.999), 1)

    def record(self, out: Outcomes, started: float, finished: float, kind: str) -> None:
        if not (self.begin <= started and finished <= self.end):
            return
        out.latencies.append(finished - started)
        if kind == "accepted":
            out.accepted += 1
            self.buckets[min(int(finished - self.begin), len(self.buckets) - 1)] += 1
        elif kind == "refused":
            out.refused += 1
        else:
            out.other[kind] += 1


async def _measure_cpu(meter: CpuMeter | None, window: _Window, out: Outcomes) -> None:
    if meter is None:
        return
    await asyncio.sleep(max(window.begin - time.perf_counter(), 0))
    first, answered = meter.sample(), out.responses
    await asyncio.sleep(max(window.end - time.perf_counter(), 0))
    cpu = CpuMeter.between(first, meter.sample())
    answered = max(out.responses - answered, 1)
    cpu["bench_ms_per_response"] = round(
        cpu["bench_client_cores"] * cpu["wall_s"] / answered * 1000, 3
    )
    out.cpu.append(cpu)


def classify(status: int, accepted: int) -> str:
    if status == accepted:
        return "accepted"
    return "refused" if status == 409 else str(status)


async def http_window(
    url: str, clients: int, next_request: Callable[[], Request], out: Outcomes,
    warmup: float, duration: float, meter: CpuMeter | None = None, accepted: int = 201,
) -> None:  # fmt: skip
    """`clients` concurrent clients, each its own keep-alive httpx.AsyncClient (HTTP/1.1, one
    connection each). One shared AsyncClient with a pool of 50 costs the bench ~7 ms of CPU per
    request on this machine (httpcore scans its pool for every request), 5× what 50 clients
    with a connection each cost: the load generator would be measured, not the server."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    pool = [httpx.AsyncClient(base_url=url, limits=limits, timeout=60.0) for _ in range(clients)]
    try:
        window = _Window(warmup, duration)

        async def worker(client: httpx.AsyncClient) -> None:
            while (started := time.perf_counter()) < window.end:
                method, path, payload, headers = next_request()
                try:
                    if method == "GET":
                        response = await client.get(path, params=payload, headers=headers)
                    else:
                        response = await client.post(path, json=payload, headers=headers)
                    kind = classify(response.status_code, accepted)
                except httpx.HTTPError as error:
                    kind = type(error).__name__
                out.all_accepted += kind == "accepted"
                window.record(out, started, time.perf_counter(), kind)

        await asyncio.gather(*(worker(c) for c in pool), _measure_cpu(meter, window, out))
    finally:
        for client in pool:
            await client.aclose()
    out.seconds += duration
    out.per_second += window.buckets


async def rowlock_window(
    db: BenchDatabase, tasks: int, capacity: int, out: Outcomes, warmup: float, duration: float,
    meter: CpuMeter | None = None,
) -> UUID:  # fmt: skip
    """The naive anchor: per booking BEGIN; SELECT … FOR UPDATE of the room-day's capacity row;
    INSERT the booking; UPDATE the count; COMMIT. One connection per task, one room-day."""
    room_day = uuid4()
    await db.execute("INSERT INTO bench_hot_capacity VALUES ($1, $2, 0)", room_day, capacity)
    conns = [await db.connect() for _ in range(tasks)]
    window = _Window(warmup, duration)
    slot = iter(range(10**9))

    async def book(conn: asyncpg.Connection) -> str:
        minute = next(slot) % 1440
        async with conn.transaction():
            row = await conn.fetchrow(
                "SELECT booked, capacity FROM bench_hot_capacity WHERE room_day = $1 FOR UPDATE",
                room_day,
            )
            if row["booked"] >= row["capacity"]:
                return "refused"
            await conn.execute(
                "INSERT INTO bench_hot_rowlock (id, room_day, child_id, start_min, end_min)"
                " VALUES ($1, $2, $3, $4, $5)",
                uuid4(), room_day, uuid4(), minute, minute + 1,
            )  # fmt: skip
            await conn.execute(
                "UPDATE bench_hot_capacity SET booked = booked + 1 WHERE room_day = $1", room_day
            )
        return "accepted"

    async def worker(conn: asyncpg.Connection) -> None:
        while (started := time.perf_counter()) < window.end:
            kind = await book(conn)
            out.all_accepted += kind == "accepted"
            window.record(out, started, time.perf_counter(), kind)

    try:
        await asyncio.gather(*(worker(c) for c in conns), _measure_cpu(meter, window, out))
    finally:
        for conn in conns:
            await conn.close()
    out.seconds += duration
    out.per_second += window.buckets
    return room_day
