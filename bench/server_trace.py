"""Inside the server process (BENCH_TRACE=1): where a booking's wall time goes, and cProfile.

`install(app)` wraps the ASGI app and patches, in this process only, the functions a command
passes through: the idempotency lookup, each aggregate load (split into its database reads
and the decoding/replay), the lane wait, the time inside the lane, the append (queue + batch
commit), snapshots, projector steps. Each adds its wall time to a named counter while a
trace is on. It also samples event-loop lag (a 5 ms sleep that overshoots = the loop was
busy) and times garbage collections by generation. Nothing of the app is changed on disk. Routes, for the bench only:

  POST /__bench/trace/start · GET /__bench/trace/stop     → JSON counters
  POST /__bench/profile/start · GET /__bench/profile/stop?out=PATH → pstats text (and file)
"""

from __future__ import annotations

import asyncio
import contextvars
import cProfile
import functools
import gc
import io
import json
import pstats
import time
from collections import defaultdict
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs

import asyncpg
import asyncpg.pool

import backend.api.commanding as commanding
import backend.commands as commands
import backend.lane_snapshots as lane_snapshots
import backend.unit_of_work as unit_of_work
from backend.eventstore.appender import Appender
from backend.eventstore.lanes import Lanes
from backend.eventstore.records import ConcurrencyConflict, StoredAnswer
from backend.eventstore.store import EventStore
from backend.projector import Projector


class Counters:
    def __init__(self) -> None:
        self.on = False
        self.started = 0.0
        self.count: dict[str, int] = defaultdict(int)
        self.seconds: dict[str, float] = defaultdict(float)
        self.lags: list[float] = []

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]
        self.on, self.started, self.cpu = True, time.perf_counter(), time.process_time()

    def add(self, name: str, seconds: float = 0.0, n: int = 1) -> None:
        if self.on:
            self.count[name] += n
            self.seconds[name] += seconds

    def report(self) -> dict[str, Any]:
        lags = sorted(self.lags)

        def pick(q: float) -> float | None:
            return round(lags[min(int(q * len(lags)), len(lags) - 1)] * 1000, 3) if lags else None

        return {
            "window_s": round(time.perf_counter() - self.started, 3),
            "process_cpu_s": round(time.process_time() - getattr(self, "cpu", 0.0), 3),
            "counters": {
                k: {"count": self.count[k], "seconds": round(self.seconds[k], 4)}
                for k in sorted(self.count)
            },
            "loop_lag_ms": {"p50": pick(0.5), "p99": pick(0.99), "samples": len(lags)},
        }


STATS = Counters()
_db_time: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar("db", default=None)
# Who a database round trip is for: a command (request), an append batch, or anything else.
_side: contextvars.ContextVar[str] = contextvars.ContextVar("side", default="projector/other")


def _timed(name: str, fn: Any, db: bool = False) -> Any:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        finally:
            spent = time.perf_counter() - started
            STATS.add(name, spent)
            acc = _db_time.get()
            if db and acc is not None:
                acc[0] += spent

    return wrapper


def _timed_sync(name: str, fn: Any) -> Any:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            STATS.add(name, time.perf_counter() - started)

    return wrapper


def _count_round_trips() -> None:
    """Every query an asyncpg connection sends (BEGIN and COMMIT included), by side."""
    for name in (
        "fetch",
        "fetchrow",
        "fetchval",
        "execute",
        "executemany",
        "copy_records_to_table",
    ):
        original = getattr(asyncpg.Connection, name)

        def counted(*args: Any, __original: Any = original, **kwargs: Any) -> Any:
            STATS.add(f"round trips: {_side.get()}")
            return __original(*args, **kwargs)

        setattr(asyncpg.Connection, name, functools.wraps(original)(counted))
    acquire = asyncpg.pool.Pool._acquire
    asyncpg.pool.Pool._acquire = _timed("pool: wait for a connection", acquire)  # type: ignore[method-assign]


def _patch_loads() -> None:
    """Aggregate loads split into their database reads and decoding/replay (CPU)."""
    for name, label in (("latest_snapshot", "snapshot read"), ("read_stream", "stream read"),
                        ("read_streams", "streams read (batched)")):  # fmt: skip
        if hasattr(EventStore, name):
            setattr(EventStore, name, _timed(f"db: {label}", getattr(EventStore, name), db=True))
    batched = hasattr(unit_of_work, "load_aggregates")
    original: Any = unit_of_work.load_aggregates if batched else unit_of_work.load_aggregate

    async def load(*args: Any, **kwargs: Any) -> Any:
        token = _db_time.set([0.0])
        started = time.perf_counter()
        try:
            result = await original(*args, **kwargs)
        finally:
            spent, db = time.perf_counter() - started, (_db_time.get() or [0.0])[0]
            _db_time.reset(token)
        found = list(result.values()) if batched else [result]
        kinds = "+".join(sorted(type(a).__name__ if a is not None else "missing" for a in found))
        STATS.add(f"load [{kinds}]: total", spent)
        STATS.add(f"load [{kinds}]: decode+replay (CPU)", spent - db)
        return result

    setattr(unit_of_work, "load_aggregates" if batched else "load_aggregate", load)


def _patch() -> None:
    _count_round_trips()
    _patch_loads()
    commands.stored_answer = _timed("db: idempotency lookup", commands.stored_answer)
    encode = _timed_sync("snapshot encode", commands.snapshot_soon)
    commands.snapshot_soon = lane_snapshots.snapshot_soon = encode
    EventStore.save_snapshot = _timed("db: snapshot write (background)", EventStore.save_snapshot)  # type: ignore[method-assign]
    original_append, original_commit = EventStore.append, Appender._commit
    original_execute, original_hold, original_step = commanding.execute, Lanes.hold, Projector.step

    async def append(self: EventStore, request: Any) -> Any:
        started = time.perf_counter()
        outcome = "ok"
        try:
            result = await original_append(self, request)
            if isinstance(result, StoredAnswer):
                outcome = "duplicate"
            return result
        except ConcurrencyConflict:
            outcome = "conflict"
            raise
        finally:
            STATS.add(f"append (queue + commit): {outcome}", time.perf_counter() - started)

    async def commit(self: Appender, batch: list[Any]) -> None:
        token = _side.set("append batches")
        started = time.perf_counter()
        try:
            await original_commit(self, batch)
        finally:
            _side.reset(token)
            STATS.add("db: append_batch commit", time.perf_counter() - started)
            STATS.add("batch commands", 0.0, len(batch))

    async def execute(*args: Any, **kwargs: Any) -> Any:
        token = _side.set("commands")
        started = time.perf_counter()
        ok = "error"
        try:
            result = await original_execute(*args, **kwargs)
            ok = "ok"
            return result
        finally:
            _side.reset(token)
            STATS.add(f"command: {ok}", time.perf_counter() - started)

    @asynccontextmanager
    async def hold(self: Lanes, streams: Any) -> Any:
        streams = frozenset(streams)
        kind = "lane" if streams else "optimistic"
        started = time.perf_counter()
        async with original_hold(self, streams):
            entered = time.perf_counter()
            STATS.add(f"attempt {kind}: wait for lane", entered - started)
            try:
                yield
            finally:
                STATS.add(f"attempt {kind}: inside", time.perf_counter() - entered)

    async def step(self: Projector, projection: Any) -> int:
        started = time.perf_counter()
        moved = await original_step(self, projection)
        STATS.add(f"projector step: {'moved' if moved else 'idle'}", time.perf_counter() - started)
        return moved

    EventStore.append = append  # type: ignore[method-assign]
    Appender._commit = commit  # type: ignore[method-assign]
    commanding.execute = execute
    Lanes.hold = hold  # type: ignore[method-assign]
    Projector.step = step  # type: ignore[method-assign]


async def _lag_sampler() -> None:
    while True:
        started = time.perf_counter()
        await asyncio.sleep(0.005)
        if STATS.on:
            STATS.lags.append(time.perf_counter() - started - 0.005)


def _time_collections() -> None:
    """Each garbage collection by generation, and how many paused the loop ≥ 10 ms."""
    started = [0.0]

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        spent = time.perf_counter() - started[0]
        STATS.add(f"gc: generation {info['generation']}", spent)
        if spent >= 0.010:
            STATS.add(f"gc: generation {info['generation']} pauses >= 10 ms", spent)

    gc.callbacks.append(timed)


def install(app: Any) -> Any:
    _patch()
    _time_collections()
    profiler: list[cProfile.Profile] = []
    sampler: list[asyncio.Task[None]] = []

    async def send_json(send: Any, body: bytes, content_type: bytes = b"application/json") -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", content_type)]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith("/__bench/"):
            if scope["type"] != "http" or not STATS.on:
                return await app(scope, receive, send)
            started, status = time.perf_counter(), [0]

            async def spy(message: Any) -> None:
                if message["type"] == "http.response.start":
                    status[0] = message["status"]
                await send(message)

            await app(scope, receive, spy)
            STATS.add(
                f"request {scope['method']} {path[:16]} {status[0]}", time.perf_counter() - started
            )
            return None
        if not sampler:
            sampler.append(asyncio.create_task(_lag_sampler()))
        if path == "/__bench/trace/start":
            STATS.reset()
            return await send_json(send, b"{}")
        if path == "/__bench/trace/stop":
            STATS.on = False
            return await send_json(send, json.dumps(STATS.report()).encode())
        if path == "/__bench/profile/start":
            profiler[:] = [cProfile.Profile()]
            profiler[0].enable()
            return await send_json(send, b"{}")
        if path == "/__bench/profile/stop":
            profiler[0].disable()
            out = parse_qs(scope.get("query_string", b"").decode()).get("out", [""])[0]
            if out:
                profiler[0].dump_stats(out)
            text = io.StringIO()
            stats = pstats.Stats(profiler[0], stream=text)
            stats.sort_stats("tottime").print_stats(40)
            stats.sort_stats("cumulative").print_stats(60)
            return await send_json(send, text.getvalue().encode(), b"text/plain")
        return await send_json(send, b"{}")

    return wrapped
