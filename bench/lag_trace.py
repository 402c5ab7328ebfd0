"""Where projection lag goes. Inside the server process (BENCH_LAGTRACE=path, `install`): when
each position passed each stage from commit to the live stream, dumped to `path` as JSON every
second (monotonic clock: comparable with the bench client's time.perf_counter on this machine),
and each statement a read-model step sent (count, wall time). In the bench (`stages`): those
records joined with the probe's check-ins (201 and SSE arrival times, positions).

Stages: the append batch that committed it; the read-model step that applied it (its start and
its commit); the live feed hub taking its feed row (handed over by the step, or read by a
scan: docs/adr/0017); the stream yielding it.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import os
import time
from typing import Any

import asyncpg

import backend.api.routes.live_occupancy as live_occupancy
import backend.follower as follower
from backend.eventstore.store import EventStore
from backend.live_feed import FeedHub

RECORDS: dict[str, Any] = {"commit": [], "step": [], "take": [], "yield": [], "sql": {}}
_in_step: contextvars.ContextVar[bool] = contextvars.ContextVar("in_step", default=False)


def _count_statements() -> None:
    for name in ("fetch", "fetchrow", "fetchval", "execute", "executemany"):
        original = getattr(asyncpg.Connection, name)

        async def counted(self: Any, sql: str, *args: Any, __original: Any = original,
                          __name: str = name, **kwargs: Any) -> Any:  # fmt: skip
            if not _in_step.get():
                return await __original(self, sql, *args, **kwargs)
            started = time.perf_counter()
            try:
                return await __original(self, sql, *args, **kwargs)
            finally:
                key = f"{__name}: {sql[:70]}"
                seen = RECORDS["sql"].setdefault(key, [0, 0.0])
                seen[0] += 1
                seen[1] += time.perf_counter() - started

        setattr(asyncpg.Connection, name, counted)


def install() -> None:
    path = os.environ["BENCH_LAGTRACE"]
    committed, step_all, take, events = (
        EventStore._committed, follower.step_all, FeedHub._take, live_occupancy._events,
    )  # fmt: skip

    def traced_committed(self: EventStore, position: int) -> None:
        RECORDS["commit"].append((time.perf_counter(), position))
        committed(self, position)

    dumper: list[asyncio.Task[None]] = []

    async def traced_step(projector: Any) -> int:
        if not dumper:
            dumper.append(asyncio.create_task(dump()))
        started = time.perf_counter()
        token = _in_step.set(True)
        try:
            moved = await step_all(projector)
        finally:
            _in_step.reset(token)
        if moved:
            RECORDS["step"].append((started, time.perf_counter(), moved))
        return moved

    def traced_take(self: FeedHub, rows: Any, done: int) -> None:
        RECORDS["take"].append((time.perf_counter(), done))
        take(self, rows, done)

    async def traced_events(*args: Any) -> Any:
        async for message in events(*args):
            if message.event == "child_checked_in":
                RECORDS["yield"].append((time.perf_counter(), message.id))
            yield message

    _count_statements()
    EventStore._committed = traced_committed  # type: ignore[method-assign]
    follower.step_all = traced_step
    FeedHub._take = traced_take  # type: ignore[method-assign]
    live_occupancy._events = traced_events

    def write(records: dict[str, Any]) -> None:
        with open(path + ".tmp", "w") as out:
            json.dump(records, out)
        os.replace(path + ".tmp", path)

    async def dump() -> None:
        while True:
            await asyncio.sleep(1.0)
            # copied on the loop: the thread must not walk what the loop is adding to
            records = {k: v.copy() for k, v in RECORDS.items()}
            records["sql"] = {k: list(v) for k, v in RECORDS["sql"].items()}
            await asyncio.to_thread(write, records)


def _quantiles(values: list[float]) -> str:
    ordered = sorted(values)

    def q(f: float) -> float:
        return ordered[min(int(f * len(ordered)), len(ordered) - 1)] * 1000

    return f"p50 {q(0.5):.1f} ms, p90 {q(0.9):.1f} ms, p99 {q(0.99):.1f} ms"


def stages(
    path: str, pairs: list[tuple[str, float, float]], positions: dict[str, int]
) -> list[str]:
    """Each stage's share of the lag for the matched check-ins, and the steps' statements."""
    with open(path) as dump:
        records = json.load(dump)
    commits, steps, takes = records["commit"], records["step"], records["take"]
    yields = {position: at for at, position in records["yield"]}
    rows = []
    for child, answered, seen in pairs:
        p = positions.get(child)
        committed = next((t for t, head in commits if head >= p), None) if p else None
        step = next(((a, b) for a, b, moved in steps if moved >= p), None) if p else None
        taken = next((t for t, scanned in takes if scanned >= p), None) if p else None
        if None in (committed, step, taken) or p not in yields:
            continue
        assert committed is not None and step is not None and taken is not None
        rows.append((committed, *step, taken, yields[p], answered, seen))
    if not rows:
        return ["no check-in could be followed through every stage"]
    named = (
        ("commit → step start", 0, 1), ("step (its round trips)", 1, 2),
        ("step commit → hub take", 2, 3), ("hub take → stream", 3, 4),
        ("stream → client", 4, 6), ("commit → 201 at the client", 0, 5),
        ("201 → SSE event (the lag)", 5, 6),
    )  # fmt: skip
    lines = [f"{len(rows)} check-ins followed through every stage, {len(steps):,} steps"]
    lines += [f"{name}: {_quantiles([r[b] - r[a] for r in rows])}" for name, a, b in named]
    lines.append(f"step duration: {_quantiles([b - a for a, b, _ in steps])}")
    per_step = max(len(steps), 1)
    for sql, (count, seconds) in sorted(records["sql"].items(), key=lambda kv: -kv[1][1])[:8]:
        lines.append(
            f"{count / per_step:.2f} per step that moved, {seconds / count * 1000:.2f} ms each:"
            f" {' '.join(sql.split())[:70]}"
        )
    return lines
