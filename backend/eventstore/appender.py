"""One writer per process: queued appends are taken together and committed in one call.

The database function `append_batch` judges each command in the batch alone (written,
duplicate or conflict) under an advisory lock held to commit, so positions are
commit-ordered across every process. Batching turns N concurrent commands into one
round trip and one WAL flush.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

import asyncpg

from backend.eventstore.records import (
    Appended,
    AppendRequest,
    ConcurrencyConflict,
    StoredAnswer,
)

log = logging.getLogger("tuoyu.eventstore")

AppendOutcome = Appended | StoredAnswer
MAX_BATCH_COMMANDS = 512
MAX_BATCH_EVENTS = 20_000
APPEND_SQL = (
    "SELECT * FROM append_batch($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)"
)


class Appender:
    def __init__(
        self,
        pool: asyncpg.Pool,
        on_committed: Callable[[int], None],
        notify: bool = True,
    ) -> None:
        self._pool = pool
        self._on_committed = on_committed
        self._notify = notify
        self._pending: deque[tuple[AppendRequest, asyncio.Future[AppendOutcome]]] = deque()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="event-appender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def append(self, request: AppendRequest) -> AppendOutcome:
        """Queue one command's writes and wait for its verdict (raises ConcurrencyConflict)."""
        self.start()
        future: asyncio.Future[AppendOutcome] = asyncio.get_running_loop().create_future()
        self._pending.append((request, future))
        self._wakeup.set()
        try:
            return await future
        finally:  # a conflict raised here holds this frame: let the frame not hold the future
            del future  # holding it (a cycle), else freed by reference counting

    def _take_batch(self) -> list[tuple[AppendRequest, asyncio.Future[AppendOutcome]]]:
        """Queued requests in order. One that writes a stream another in the batch reads or
        writes, or shares its command key, waits for the next batch: each command in a batch
        must be judged against the state before the batch. Readers of a stream share freely."""
        batch: list[tuple[AppendRequest, asyncio.Future[AppendOutcome]]] = []
        deferred: list[tuple[AppendRequest, asyncio.Future[AppendOutcome]]] = []
        touched: set[object] = set()
        written: set[object] = set()
        keys: set[str] = set()
        events = 0
        while self._pending and len(batch) < MAX_BATCH_COMMANDS and events < MAX_BATCH_EVENTS:
            request, future = self._pending.popleft()
            if future.done():
                continue
            own_keys = request.keys()
            key_clash = not keys.isdisjoint(own_keys)
            stream_clash = not request.written.isdisjoint(touched) or not written.isdisjoint(
                request.streams
            )
            if key_clash or stream_clash:
                deferred.append((request, future))
                continue
            touched |= request.streams
            written |= request.written
            keys |= own_keys
            events += len(request.events)
            batch.append((request, future))
        self._pending.extendleft(reversed(deferred))
        return batch

    async def _run(self) -> None:
        while True:
            if not self._pending:
                self._wakeup.clear()
                await self._wakeup.wait()
            batch = self._take_batch()
            if not batch:
                continue
            try:
                await self._commit(batch)
            except asyncio.CancelledError:
                for _, future in batch:
                    if not future.done():
                        future.cancel()
                raise
            except Exception as error:
                log.exception("append batch failed")
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)

    async def _commit(
        self, batch: list[tuple[AppendRequest, asyncio.Future[AppendOutcome]]]
    ) -> None:
        args = append_arguments([request for request, _ in batch], self._notify)
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(APPEND_SQL, *args)
        head = max((r["last_position"] or 0 for r in rows if r["status"] == "ok"), default=0)
        if head:
            self._on_committed(head)
        for row in rows:
            request, future = batch[row["idx"] - 1]
            if future.done():
                continue
            status = row["status"]
            if status == "ok":
                future.set_result(Appended(row["last_position"]))
            elif status == "duplicate":
                future.set_result(
                    StoredAnswer(row["stored_hash"], row["stored_result"], row["last_position"])
                )
            else:
                future.set_exception(ConcurrencyConflict(request.streams))


def append_arguments(requests: list[AppendRequest], notify: bool) -> list[Any]:
    """APPEND_SQL's arguments for these requests, the batch's commands in this order."""
    keys: list[Any] = []
    hashes: list[Any] = []
    results: list[Any] = []
    actors: list[Any] = []
    correlations: list[Any] = []
    causations: list[Any] = []
    x_command: list[int] = []
    x_stream: list[Any] = []
    x_expected: list[int] = []
    e_command: list[int] = []
    e_stream: list[Any] = []
    e_version: list[int] = []
    e_topic: list[str] = []
    e_state: list[bytes] = []
    k_command: list[int] = []
    k_key: list[str] = []
    k_hash: list[bytes] = []
    k_result: list[bytes | None] = []
    for i, request in enumerate(requests, start=1):
        keys.append(request.command_key)
        hashes.append(request.request_hash)
        results.append(request.result)
        actors.append(request.actor)
        correlations.append(request.correlation_id)
        causations.append(request.causation_id)
        for stream_id, expected in request.expected.items():
            x_command.append(i)
            x_stream.append(stream_id)
            x_expected.append(expected)
        for key, hash_, result in request.grouped:
            k_command.append(i)
            k_key.append(key)
            k_hash.append(hash_)
            k_result.append(result)
        for event in request.events:
            e_command.append(i)
            e_stream.append(event.stream_id)
            e_version.append(event.version)
            e_topic.append(event.topic)
            e_state.append(event.state)
    return [
        keys, hashes, results, actors, correlations, causations,
        x_command, x_stream, x_expected,
        e_command, e_stream, e_version, e_topic, e_state, notify,
        k_command, k_key, k_hash, k_result,
    ]  # fmt: skip
