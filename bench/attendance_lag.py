"""Projection lag probes: from a check-in's 201 to its `child_checked_in` on the live SSE stream, and the
NOTIFY anchor (a bare INSERT + pg_notify, heard by an asyncpg listener on another connection).

Both are measured the same way, in this process: the time the client had the commit's answer
(the 201; the end of the INSERT's round trip) to the time the event reached it. The commit
happened before either answer was sent, so this is a lower bound of commit → visible; an event
that arrives before its answer has been read counts with a negative lag (and is counted).
"""

from __future__ import annotations

import asyncio
import time
from uuid import UUID, uuid4

import msgspec

from bench.db import BenchDatabase
from bench.open_loop import request_bytes, schedule

NOTIFY_TABLE, NOTIFY_CHANNEL = "bench_attendance_notify", "bench_attendance"
NOTIFY_SQL = (
    f"WITH row AS (INSERT INTO {NOTIFY_TABLE} (id) VALUES ($1::uuid) RETURNING id)"
    f" SELECT pg_notify('{NOTIFY_CHANNEL}', id::text) FROM row"
)


class Matcher:
    """Pairs an answer with its event by key, whichever comes first; lags in seconds."""

    def __init__(self) -> None:
        self.on = False
        self.answered: dict[str, float] = {}
        self.seen: dict[str, float] = {}
        self.lags: list[float] = []
        self.pairs: list[tuple[str, float, float]] = []  # (key, answered, seen) when matched
        self.early = 0  # events that arrived before their answer was read

    def answer(self, key: str, at: float) -> None:
        if not self.on:
            return
        seen = self.seen.pop(key, None)
        if seen is None:
            self.answered[key] = at
        else:  # the event beat the answer to this process: a negative lag, counted as such
            self.early += 1
            self.lags.append(seen - at)
            self.pairs.append((key, at, seen))

    def event(self, key: str, at: float) -> None:
        if key in self.answered:
            answered = self.answered.pop(key)
            self.lags.append(at - answered)
            self.pairs.append((key, answered, at))
        elif self.on:
            self.seen[key] = at

    @property
    def unmatched(self) -> int:
        return len(self.answered)


class SseProbe:
    """Follows the live occupancy streams of some institutions; matches check-ins by child."""

    def __init__(self, institutions: list[UUID]) -> None:
        self.institutions = set(institutions)
        self.matcher = Matcher()
        self.positions: dict[str, int] = {}  # child → its check-in's position (the SSE id)
        self.events = 0
        self.tasks: list[asyncio.Task[None]] = []
        self.failures: list[str] = []

    def checked_in(self, institution_id: UUID, child: str, answered: float) -> None:
        if institution_id in self.institutions:
            self.matcher.answer(child, answered)

    async def start(self, port: int, tokens: dict[UUID, str]) -> None:
        ready = [asyncio.Event() for _ in self.institutions]
        self.tasks = [
            asyncio.create_task(self._follow(port, i, tokens[i], r))
            for i, r in zip(sorted(self.institutions), ready, strict=True)
        ]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), 30)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _follow(self, port: int, institution: UUID, token: str, ready: asyncio.Event) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            path = f"/v1/institutions/{institution}/occupancy/stream"
            headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
            writer.write(request_bytes("GET", path, b"", headers))
            status = int((await reader.readline()).split()[1])
            chunked = False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                chunked |= line.lower().startswith(b"transfer-encoding:") and b"chunked" in line
            if status != 200:
                self.failures.append(f"{institution}: HTTP {status}")
                ready.set()
                return
            buffer = b""
            while True:
                if chunked:
                    size = int((await reader.readline()).strip(), 16)
                    if not size:
                        return
                    data = (await reader.readexactly(size + 2))[:-2]
                else:
                    data = await reader.read(65536)
                    if not data:
                        return
                at = time.perf_counter()
                buffer += data.replace(b"\r\n", b"\n")
                *events, buffer = buffer.split(b"\n\n")
                for event in events:
                    if b"event: snapshot" in event:
                        ready.set()
                    elif b"event: child_checked_in" in event:
                        self._checked_in(event, at)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            self.failures.append(f"{institution}: {type(error).__name__}: {error}")
        finally:
            ready.set()
            writer.close()

    def _checked_in(self, event: bytes, at: float) -> None:
        self.events += 1
        position, child = None, None
        for line in event.split(b"\n"):
            if line.startswith(b"id:"):
                position = int(line[3:])
            elif line.startswith(b"data:"):
                child = str(msgspec.json.decode(line[5:])["child_id"])
        if child is not None:
            if position is not None:
                self.positions[child] = position
            self.matcher.event(child, at)


async def notify_lag(db: BenchDatabase, rate: float, begin: float, end: float,
                     matcher: Matcher) -> None:  # fmt: skip
    """INSERT + pg_notify at `rate` (one at a time, autocommit) over [begin, end); the listener
    is another connection of the same server."""
    listener, writer = await db.connect(), await db.connect()

    def heard(_conn: object, _pid: int, _channel: str, payload: object) -> None:
        matcher.event(str(payload), time.perf_counter())

    await listener.add_listener(NOTIFY_CHANNEL, heard)
    busy: set[asyncio.Task[None]] = set()

    async def one() -> None:
        key = uuid4()
        await writer.fetchval(NOTIFY_SQL, key)
        matcher.answer(str(key), time.perf_counter())

    def send(_due: float) -> None:
        if not busy:  # one connection, one statement at a time: skip a tick rather than queue
            task = asyncio.create_task(one())
            busy.add(task)
            task.add_done_callback(busy.discard)

    matcher.on = True
    try:
        await asyncio.sleep(max(begin - time.perf_counter(), 0))
        await schedule(rate, begin, end, send)
        await asyncio.gather(*busy)
        await asyncio.sleep(0.2)  # the last notifications
    finally:
        matcher.on = False
        await listener.close()
        await writer.close()
