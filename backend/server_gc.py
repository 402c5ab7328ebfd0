"""Garbage collection settings of the server process.

CPython's collector traverses every tracked object of a generation it collects. A server
keeps many long-lived objects (modules, routes, schemas, the aggregate cache, the room
catalogue), so each full collection paused the event loop for ~95 ms under the attendance
benchmark, several times in a 12 s window: every request and projector step in flight waited
(`make bench`, trace: "gc: generation 2"). Two settings, as long-running Python servers use:

- what start-up built is frozen (`gc.freeze()`): never traversed again. Objects made later
  are collected as usual; frozen ones are still freed by reference counting.
- the youngest generation is collected every 10,000 net allocations instead of 700, so older
  generations fill, and are traversed, about 14 times less often; a young collection stays
  short (its objects are few and mostly dead).
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def settle_collections() -> None:
    """Call once the server has started."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
