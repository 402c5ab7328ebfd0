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
- and at least every `YOUNG_PERIOD_SECONDS` (`collect_young_regularly`). The count above is
  allocations *net of deallocations*, old objects' included: while a day's state grows
  (a visit per check-in) as fast as older objects die, the count hardly moves and the young
  generation fills with survivors, so its collection took 8-26 ms and the middle one's,
  every tenth, 50-107 ms (measured at 500 check-ins/s; nearly nothing collected). Collected on
  a clock, the young generation holds at most that long's survivors.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable

YOUNG_THRESHOLD = 10_000
YOUNG_PERIOD_SECONDS = 0.05


def settle_collections() -> None:
    """Call once the server has started."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


def collect_young_regularly(period: float = YOUNG_PERIOD_SECONDS) -> Callable[[], None]:
    """Collect the youngest generation every `period` seconds on the running loop (the older
    generations follow from it as from any young collection); returns the stop."""
    loop = asyncio.get_running_loop()
    handle: list[asyncio.TimerHandle] = []

    def collect() -> None:
        gc.collect(0)
        handle[0] = loop.call_later(period, collect)

    handle.append(loop.call_later(period, collect))
    return lambda: handle[0].cancel()
