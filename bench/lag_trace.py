"""Inside the server process (BENCH_LAGTRACE=path): when each position passed each stage of the
way from commit to the live stream, dumped to `path` as JSON every second (monotonic clock,
comparable with the bench client's time.perf_counter on the same machine).

Stages: the append batch that committed it; the read-model step that applied it (its start and
its commit); the live feed hub scan that took its feed row; the stream yielding it.
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

    def traced_take(self: FeedHub, rows: Any) -> None:
        RECORDS["take"].append((time.perf_counter(), rows[-1]["position"]))
        take(self, rows)

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

    def write() -> None:
        with open(path + ".tmp", "w") as out:
            json.dump(RECORDS, out)
        os.replace(path + ".tmp", path)

    async def dump() -> None:
        while True:
            await asyncio.sleep(1.0)
            await asyncio.to_thread(write)
