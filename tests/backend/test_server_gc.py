"""The server's collector settings: what start-up built is frozen, young collections are rarer
by count and regular by the clock."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from backend.server_gc import (
    MIDDLE_THRESHOLD,
    OLD_THRESHOLD,
    YOUNG_THRESHOLD,
    collect_young_regularly,
    settle_collections,
)


def test_settling_freezes_what_start_up_built_and_collects_the_young_less_often():
    before = gc.get_threshold()
    try:
        settle_collections()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_survivors_of_a_rush_reach_the_middle_generation_every_few_young_collections():
    before = gc.get_threshold()
    generations: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            generations.append(info["generation"])

    try:
        settle_collections()
        gc.callbacks.append(note)
        survivors = [[n] for n in range(YOUNG_THRESHOLD * 24)]  # kept, like a rush's bookings
        gc.callbacks.remove(note)
        assert len(survivors) and len(generations) >= 20
        # young, young, young, then the middle one (with the young): a third of the survivors
        # a middle collection would hold with CPython's own 10
        assert generations.count(1) >= len(generations) // (MIDDLE_THRESHOLD + 1) - 1
        assert generations.count(2) == 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def _young_collections() -> tuple[list[int], Any]:
    seen: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info["generation"] == 0:
            seen.append(0)

    gc.callbacks.append(count)
    return seen, count


async def test_the_young_generation_is_collected_on_the_clock_however_few_objects_were_made():
    before = gc.get_threshold()
    gc.set_threshold(10**9, before[1], before[2])  # the count alone would never collect
    seen, callback = _young_collections()
    try:
        stop = collect_young_regularly(0.01)
        await asyncio.sleep(0.2)
        stop()
        collected = len(seen)
        await asyncio.sleep(0.05)
        assert collected >= 5
        assert len(seen) == collected  # stopped: no collection after the stop
    finally:
        gc.callbacks.remove(callback)
        gc.set_threshold(*before)


async def test_the_clock_adds_no_collection_where_young_ones_run_often_anyway():
    before = gc.get_threshold()
    gc.set_threshold(10**9, before[1], before[2])  # only the collections below and the clock's
    seen, callback = _young_collections()
    try:
        stop = collect_young_regularly(0.05)
        ours = 0
        for _ in range(30):  # a young collection every 10 ms, as a rush's allocations make
            gc.collect(0)
            ours += 1
            await asyncio.sleep(0.01)
        stop()
        assert len(seen) == ours
    finally:
        gc.callbacks.remove(callback)
        gc.set_threshold(*before)
