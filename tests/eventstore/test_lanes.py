"""Lanes: commands on the same stream take turns; different streams never wait on each other."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from backend.eventstore.lanes import Lanes


async def test_holders_of_one_stream_run_one_at_a_time():
    lanes, stream, inside, peak = Lanes(), uuid4(), 0, 0

    async def work() -> None:
        nonlocal inside, peak
        async with lanes.hold([stream]):
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.001)
            inside -= 1

    await asyncio.gather(*(work() for _ in range(20)))
    assert peak == 1
    assert not lanes.busy(stream)  # nothing left behind


async def test_crosswise_holders_do_not_deadlock():
    lanes, a, b = Lanes(), uuid4(), uuid4()

    async def work(streams: list) -> None:
        async with lanes.hold(streams):
            await asyncio.sleep(0.001)

    await asyncio.wait_for(
        asyncio.gather(*(work([a, b] if i % 2 else [b, a]) for i in range(20))), 5
    )
