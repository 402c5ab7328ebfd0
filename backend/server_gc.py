"""Garbage collection settings of the server process.

CPython's collector traverses every tracked object of a generation it collects. A server
keeps many long-lived objects (modules, routes, schemas, the aggregate cache, the room
catalogue), so each full collection paused the event loop for ~95 ms under the attendance
benchmark, several times in a 12 s window: every request and projector step in flight waited
(`make bench`, trace: "gc: generation 2"). These settings (docs/adr/0011):

- what start-up built is frozen (`gc.freeze()`): never traversed again. Objects made later
  are collected as usual; frozen ones are still freed by reference counting.
- the youngest generation is collected every 10,000 net allocations instead of 700, so older
  generations fill, and are traversed, about 14 times less often;
- and whenever `YOUNG_PERIOD_SECONDS` passed without a collection (`collect_young_regularly`).
  The count is allocations *net of deallocations*, old objects' included: while a day's
  state grows (a visit per check-in) as fast as older objects die, the count hardly moves
  and the young generation filled with survivors (collections of 8-26 ms at 500 check-ins/s,
  nearly nothing collected). On the clock it holds at most ~2 periods' survivors.
- the middle generation after 3 young collections counted so, not 10. Under a booking rush
  nearly everything young survives (the room-day's bookings, each child's aggregate in the
  cache): ten young collections' survivors took 33-45 ms to traverse, a pause for every
  booking in flight. A third of them take a third of that, for about the same work in all
  (a survivor is traversed in the middle generation once, then moves on).
- a full collection after 100 middle collections, not 10 (and, as before, only once the
  survivors since the last reach a quarter of the heap): with middle collections three times
  as often, full ones, which traverse every unfrozen object (265-312 ms at 1,000 check-ins/s),
  would come sooner too.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable

YOUNG_THRESHOLD = 10_000
MIDDLE_THRESHOLD = 3
OLD_THRESHOLD = 100
YOUNG_PERIOD_SECONDS = 0.2


def settle_collections() -> None:
    """Call once the server has started."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)


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
