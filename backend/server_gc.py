"""Garbage collection settings of the server process.

CPython's collector traverses every tracked object of a generation it collects. A server
keeps many long-lived objects (modules, routes, schemas, the aggregate cache, the room
catalogue), so each full collection paused the event loop for ~95 ms under the attendance
benchmark, several times in a 12 s window: every request and projector step in flight waited
(`make bench`, trace: "gc: generation 2"). Three settings (docs/adr/0011):

- what start-up built is frozen (`gc.freeze()`): never traversed again. Objects made later
  are collected as usual; frozen ones are still freed by reference counting.
- the youngest generation is collected every 10,000 net allocations instead of 700, so older
  generations fill, and are traversed, about 14 times less often.
- and whenever `YOUNG_PERIOD_SECONDS` passed without a collection (`collect_young_regularly`).
  The count above is allocations *net of deallocations*, old objects' included: while a
  day's state grows (a visit per check-in) as fast as older objects die, the count hardly
  moves and the young generation fills with survivors, so its collection took 8-26 ms and
  the middle one's, every tenth, 50-107 ms (measured at 500 check-ins/s; nearly nothing
  collected). Collected on a clock too, the young generation holds at most ~2 periods'
  survivors.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable

YOUNG_THRESHOLD = 10_000
YOUNG_PERIOD_SECONDS = 0.2


def settle_collections() -> None:
    """Call once the server has started."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


def collect_young_regularly(period: float = YOUNG_PERIOD_SECONDS) -> Callable[[], None]:
    """Collect the youngest generation on the running loop whenever `period` seconds passed
    without any collection (the older generations follow from it as from any young
    collection); returns the stop. Where the count collects often anyway (a booking rush
    loading a child per booking), the clock adds nothing: each extra collection would traverse
    the state of every request in flight again."""
    loop = asyncio.get_running_loop()
    last = [time.monotonic()]

    def noted(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            last[0] = time.monotonic()

    def collect() -> None:
        if time.monotonic() - last[0] >= period:
            gc.collect(0)
        handle[0] = loop.call_later(period, collect)

    gc.callbacks.append(noted)
    handle = [loop.call_later(period, collect)]

    def stop() -> None:
        handle[0].cancel()
        gc.callbacks.remove(noted)

    return stop
