"""Benchmark 8: live occupancy reads, closed loop, the app beside a constant endpoint of the same answer.

64 connections of the lean client (bench/raw_http.py) go round the world's institutions, each
request with that institution's carer token; the anchor (the plain app) is first given a sample
of the app's own answer, so both encode the same bytes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from bench.http_load import Outcomes, Request
from bench.raw_http import raw_window
from bench.servers import CpuMeter, Server

if TYPE_CHECKING:
    from bench.attendance import Run

READ_CONNECTIONS = 64


@dataclass
class Reads:
    ours: Outcomes
    anchor: Outcomes
    sizes: dict[str, int]


async def live_reads(run: Run, ours: Server, plain: Server) -> Reads:
    """The plan's read time per contestant, split into rounds in alternating order."""
    plan, world = run.plan, run.world
    world.mint_tokens()
    institutions = itertools.cycle(world.institutions)

    def live() -> Request:
        i = next(institutions)
        path = f"/v1/institutions/{i}/occupancy/live"
        return "GET", path, None, {"Authorization": f"Bearer {world.tokens[i]}"}

    sizes = await _same_answer(ours, plain, live())
    mine = Outcomes(f"ours: GET …/occupancy/live, {READ_CONNECTIONS} connections", "ours")
    anchor = Outcomes(f"constant LiveOccupancy endpoint, {READ_CONNECTIONS} connections", "anchor")  # fmt: skip
    run.progress(
        f"attendance 8: live occupancy reads, closed loop, {READ_CONNECTIONS} connections,"
        f" {plan.read_duration:g}s each in {plan.read_rounds} round(s)"
    )
    pairs = [(mine, ours), (anchor, plain)]
    for r in range(plan.read_rounds):
        for out, server in pairs if r % 2 == 0 else reversed(pairs):
            await run.db.checkpoint()
            await raw_window(
                server.port, READ_CONNECTIONS, live, out, plan.warmup / 2,
                plan.read_duration / plan.read_rounds, CpuMeter(run.db, server.pid), 200,
            )  # fmt: skip
            run.progress(
                f"  {out.label}: {out.rate:,.0f}/s so far, p99"
                f" {out.percentile_ms(0.99) or 0:.1f} ms, other {dict(out.other)}"
            )
    return Reads(mine, anchor, sizes)


async def _same_answer(ours: Server, plain: Server, request: Request) -> dict[str, int]:
    """Give the anchor our own answer as its constant, and say how big each answer is."""
    _, path, _, headers = request
    async with httpx.AsyncClient(timeout=30.0) as client:
        sample = await client.get(ours.url + path, headers=headers)
        sample.raise_for_status()
        (await client.put(plain.url + "/__bench/live", content=sample.content)).raise_for_status()
        constant = await client.get(plain.url + path)
    return {"ours_bytes": len(sample.content), "anchor_bytes": len(constant.content)}
