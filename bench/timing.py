"""Timed windows: run N workers (asyncio tasks or threads) for a duration and count what completes in it."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import statistics
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

AsyncOp = Callable[[], Awaitable[int]]  # one command; returns the events it wrote
SyncOp = Callable[[], int]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The bench process's own garbage collector off while a window measures, after one full
    collection first. The bench is the load's client: it holds the world (the demo city, ten
    thousand children) and makes cyclic garbage per request, so a full collection in the middle
    of a window stood its client still for ~0.5 s (a 522 ms pause that collected 276,190
    objects, in the window whose p99 it made 517 ms) and every request due meanwhile counted
    that wait against the server. A window's garbage waits until the window is over."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class Tally:
    """What one contestant did across its timed windows (events, seconds, per-op latencies)."""

    label: str
    events: int = 0
    ops: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float | None:
        if len(self.latencies) < 2:
            return None
        cuts = statistics.quantiles(self.latencies, n=1000, method="inclusive")
        return cuts[min(int(q * 1000) - 1, len(cuts) - 1)] * 1000

    def summary(self) -> dict[str, float | int | None]:
        return {
            "events": self.events,
            "ops": self.ops,
            "seconds": round(self.seconds, 3),
            "events_per_s": round(self.rate, 1),
            "p50_ms": _round(self.percentile_ms(0.50)),
            "p99_ms": _round(self.percentile_ms(0.99)),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


class _Window:
    """Warm-up, then a measured window; an op counts if it finishes inside the window."""

    def __init__(self, warmup: float, duration: float) -> None:
        self.begin = time.perf_counter() + warmup
        self.end = self.begin + duration

    def record(self, tally: Tally, started: float, finished: float, events: int) -> None:
        if self.begin <= started and finished <= self.end:
            tally.events += events
            tally.ops += 1
            tally.latencies.append(finished - started)


async def run_tasks(tally: Tally, ops: list[AsyncOp], warmup: float, duration: float) -> None:
    """One asyncio task per op, each calling it back to back until the window closes."""
    window = _Window(warmup, duration)

    async def worker(op: AsyncOp) -> None:
        while (started := time.perf_counter()) < window.end:
            events = await op()
            window.record(tally, started, time.perf_counter(), events)

    await asyncio.gather(*(worker(op) for op in ops))
    tally.seconds += duration


def run_threads(tally: Tally, ops: list[SyncOp], warmup: float, duration: float) -> None:
    """One OS thread per op, each calling it back to back until the window closes."""
    lock = threading.Lock()
    ready = threading.Barrier(len(ops) + 1)
    holder: list[_Window] = []
    errors: list[BaseException] = []

    def worker(op: SyncOp) -> None:
        ready.wait()
        window = holder[0]
        try:
            while (started := time.perf_counter()) < window.end:
                events = op()
                finished = time.perf_counter()
                with lock:
                    window.record(tally, started, finished, events)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(op,), daemon=True) for op in ops]
    for thread in threads:
        thread.start()
    holder.append(_Window(warmup, duration))
    ready.wait()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    tally.seconds += duration


class Progress:
    """Progress lines with the time since the bench started."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def __call__(self, message: str) -> None:
        print(f"[{self.elapsed():7.1f}s] {message}", flush=True)
