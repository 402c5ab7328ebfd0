"""The writers that race in the append benchmarks: our EventStore, plain asyncpg, eventsourcing's recorder."""

from __future__ import annotations

import asyncio
import warnings
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from backend.eventstore.mapper import MsgspecMapper
from backend.eventstore.records import AppendRequest, NewEvent
from backend.eventstore.store import EventStore
from bench.db import DATABASE, PLAIN_TABLE, BenchDatabase
from bench.timing import AsyncOp, SyncOp, Tally, run_tasks, run_threads
from domain.account.aggregate import Account, Role


def sample_event() -> tuple[str, bytes]:
    """A real domain event's topic and encoded state (~220 bytes of JSON)."""
    account = Account.register("13912345678", "王小明的家长", Role.guardian, datetime.now(UTC))
    stored = MsgspecMapper().to_stored_event(account.collect_events()[0])
    return stored.topic, stored.state


TOPIC, STATE = sample_event()


class Contestant(ABC):
    """Something that writes `events_per_command` events per command from `writers` workers."""

    role = "ours"

    def __init__(self, label: str, db: BenchDatabase, writers: int, events_per_command: int):
        self.label = label
        self.db = db
        self.writers = writers
        self.per_command = events_per_command

    async def start(self) -> None:  # most contestants need no set-up
        return None

    async def stop(self) -> None:
        return None

    @abstractmethod
    async def window(self, tally: Tally, warmup: float, duration: float) -> None:
        """Write for `warmup` seconds uncounted, then `duration` seconds counted into `tally`."""

    def streams(self) -> tuple[UUID, list[int]]:
        """A fresh stream and the versions of its first command."""
        return uuid4(), list(range(1, self.per_command + 1))


class OurStore(Contestant):
    """EventStore.append from one asyncio task per writer, all sharing one store (its appender batches)."""

    def __init__(self, label: str, db: BenchDatabase, writers: int, events_per_command: int,
                 notify: bool = True, role: str = "ours"):  # fmt: skip
        super().__init__(label, db, writers, events_per_command)
        self.notify = notify
        self.role = role

    async def start(self) -> None:
        self.pool = await self.db.pool(min_size=2, max_size=4)
        self.store = EventStore(self.pool, notify=self.notify)

    async def stop(self) -> None:
        await self.store.close()
        await self.pool.close()

    def _op(self) -> AsyncOp:
        stream, versions = self.streams()

        async def op() -> int:
            nonlocal stream, versions
            events = [NewEvent(stream, v, TOPIC, STATE) for v in versions]
            await self.store.append(AppendRequest(events, {stream: versions[0] - 1}))
            if self.per_command == 1:  # one writer's own stream, growing by one
                versions = [versions[0] + 1]
            else:  # an import: each command creates a new stream
                stream = uuid4()
            return len(events)

        return op

    async def window(self, tally: Tally, warmup: float, duration: float) -> None:
        await run_tasks(tally, [self._op() for _ in range(self.writers)], warmup, duration)


class PlainAsyncpg(Contestant):
    """One connection per writer (autocommit) into a plain copy of the events table.

    One event per command: a single INSERT. Many: copy_records_to_table of the command's rows.
    """

    role = "anchor"
    COLUMNS = ("stream_id", "version", "topic", "state", "recorded_at")
    INSERT = (
        f"INSERT INTO {PLAIN_TABLE} (stream_id, version, topic, state, recorded_at)"
        " VALUES ($1, $2, $3, $4, clock_timestamp())"
    )

    async def start(self) -> None:
        self.conns = [await self.db.connect() for _ in range(self.writers)]

    async def stop(self) -> None:
        for conn in self.conns:
            await conn.close()

    def _op(self, conn: asyncpg.Connection) -> AsyncOp:
        stream, versions = self.streams()

        async def op() -> int:
            nonlocal stream, versions
            if self.per_command == 1:
                await conn.execute(self.INSERT, stream, versions[0], TOPIC, STATE)
                versions = [versions[0] + 1]
                return 1
            now = datetime.now(UTC)
            rows = [(stream, v, TOPIC, STATE, now) for v in versions]
            await conn.copy_records_to_table(PLAIN_TABLE, records=rows, columns=self.COLUMNS)
            stream = uuid4()
            return len(rows)

        return op

    async def window(self, tally: Tally, warmup: float, duration: float) -> None:
        await run_tasks(tally, [self._op(c) for c in self.conns], warmup, duration)


class EventsourcingRecorder(Contestant):
    """eventsourcing's PostgresApplicationRecorder (psycopg): one thread per writer, own originator."""

    role = "anchor"

    async def start(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

        self.datastore = PostgresDatastore(
            dbname=DATABASE,
            host=self.db.socket_dir,
            port=self.db.port,
            user="postgres",
            password="",
            pool_size=self.writers,
        )
        self.recorder: Any = PostgresApplicationRecorder(self.datastore)
        await asyncio.to_thread(self.recorder.create_table)

    async def stop(self) -> None:
        await asyncio.to_thread(self.datastore.close)

    def _op(self) -> SyncOp:
        from eventsourcing.persistence import StoredEvent

        stream, versions = self.streams()

        def op() -> int:
            nonlocal stream, versions
            events = [StoredEvent(stream, v, TOPIC, STATE) for v in versions]
            self.recorder.insert_events(events)
            if self.per_command == 1:
                versions = [versions[0] + 1]
            else:
                stream = uuid4()
            return len(events)

        return op

    async def window(self, tally: Tally, warmup: float, duration: float) -> None:
        ops = [self._op() for _ in range(self.writers)]
        await asyncio.to_thread(run_threads, tally, ops, warmup, duration)


async def race(
    contestants: list[Contestant],
    rounds: int,
    warmup: float,
    duration: float,
    progress: Any,
) -> dict[str, Tally]:
    """Each contestant gets `duration` seconds in total, split over rounds run in alternating order."""
    started: list[Contestant] = []
    try:
        for c in contestants:
            await c.start()
            started.append(c)
        tallies = {c.label: Tally(c.label) for c in contestants}
        for r in range(rounds):
            order = contestants if r % 2 == 0 else list(reversed(contestants))
            for c in order:
                await c.db.checkpoint()
                await c.window(tallies[c.label], warmup, duration / rounds)
                t = tallies[c.label]
                progress(
                    f"  round {r + 1}/{rounds} {c.label}: {t.rate:,.0f} events/s so far"
                    f" ({t.events:,} events)"
                )
    finally:
        for c in started:
            await c.stop()
    return tallies
