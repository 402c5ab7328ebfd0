"""Diagnostics of the attendance path, never judged: a traced, a profiled, a projector-less window
and the lag window on a server recording each stage from commit to the stream.

Run after the measured windows on separate server processes, so neither the wrappers
(bench/server_trace.py, BENCH_TRACE=1), the profiler, nor a missing projector touch a measured
figure. All use the same open loop and the same cycle of children as the measured windows (its
idea of who is checked in carries over), at a rate the app held.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

import httpx

from bench.attendance_cycle import Cycle, Rates
from bench.attendance_report import cpu_per
from bench.hot_diagnose import breakdown
from bench.lag_trace import stages
from bench.open_loop import OpenTally
from bench.report import Section
from bench.servers import LOGS, Server, cpu_text

if TYPE_CHECKING:
    from bench.attendance import Run


async def _control(server: Server, path: str, method: str = "GET") -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, timeout=120.0) as client:
        return await client.request(method, path)


async def diagnose(run: Run, env: dict[str, str], rate: int, duration: float, cycle: Cycle,
                   section: Section, servers: list[Server]) -> None:  # fmt: skip
    """Adds the windows to `section` as diagnostics, with what they showed as notes, and the
    servers it started to `servers` (their source fingerprints are compared afterwards)."""
    tallies: list[OpenTally] = []
    warmup = run.plan.warmup  # after each fresh server's first visits (Run.first_visits)
    if os.environ.get("BENCH_PYSPY"):
        await _sampled(run, env, rate, warmup, duration, cycle, section, servers)
    traced = Server("tuoyu", run.db, {**env, "BENCH_TRACE": "1"}, "attendance-trace")
    servers.append(traced)
    try:
        await traced.start("/health/ready")
        who = Rates("diagnostic", "diagnostic", traced, cycle)
        await run.first_visits(who)
        await _control(traced, "/__bench/trace/start", "POST")
        ins, _ = await run.window(who, rate, warmup, duration, f"diagnostic: traced at {rate:,}/s")
        report: dict[str, Any] = (await _control(traced, "/__bench/trace/stop")).json()
        lines = breakdown(report)
        run.progress("  trace:\n    " + "\n    ".join(lines))
        section.notes.append(
            f"trace at {rate:,} check-ins/s (and as many check-outs; p99 {ins.p99():.1f} ms under"
            " the wrappers): " + " | ".join(line.strip() for line in lines)
        )
        tallies.append(ins)
        await _control(traced, "/__bench/profile/start", "POST")
        ins, _ = await run.window(
            who, rate, warmup, duration, f"diagnostic: profiled at {rate:,}/s"
        )
        prof = LOGS / "attendance-profile.prof"
        text = (await _control(traced, f"/__bench/profile/stop?out={prof}")).text
        path = LOGS / "attendance-profile.txt"
        path.write_text(
            f"cProfile of the server process over {duration:g}s at {rate:,} check-ins/s (and as"
            f" many check-outs): {ins.ok:,} check-ins answered 201, other {dict(ins.other)}\n\n"
            + text,
            encoding="utf-8",
        )
        run.progress(f"  cProfile of the server: {path}")
        section.notes.append(f"cProfile of the server at {rate:,}/s: .data/bench-logs/{path.name}")
        tallies.append(ins)
    finally:
        await traced.stop()
    tallies.append(await _lag_stages(run, env, cycle, section, servers))
    quiet = Server("tuoyu", run.db, {**env, "BENCH_PROJECTOR": "0"}, "attendance-no-projector")
    servers.append(quiet)
    try:  # last: the read models stay behind after it
        await quiet.start("/health/live")
        who = Rates("diagnostic", "diagnostic", quiet, cycle)
        await run.first_visits(who)
        label = f"diagnostic: ours without projector tasks at {rate:,}/s"
        ins, _ = await run.window(who, rate, warmup, duration, label)
        if ins.cpu:
            section.notes.append(
                f"{label}: {cpu_text(ins.cpu[0])}; {cpu_per(ins, run.plan.hold is not None)}"
            )
        tallies.append(ins)
    finally:
        await quiet.stop()
    for tally in tallies:
        section.measure(tally.label, "diagnostic", tally.summary())


async def _sampled(run: Run, env: dict[str, str], rate: int, warmup: float, duration: float,
                   cycle: Cycle, section: Section, servers: list[Server]) -> None:  # fmt: skip
    """With BENCH_PYSPY=<path to py-spy> (not a dependency): the plain server sampled by py-spy
    over a window, as collapsed stacks (no wrappers, no cProfile distortion)."""
    server = Server("tuoyu", run.db, env, "attendance-sampled")
    servers.append(server)
    out = LOGS / "attendance-pyspy.txt"
    try:
        await server.start("/health/ready")
        who = Rates("diagnostic", "diagnostic", server, cycle)
        await run.first_visits(who)
        spy = await asyncio.create_subprocess_exec(
            os.environ["BENCH_PYSPY"], "record", "--pid", str(server.pid), "--rate", "250",
            "--duration", str(int(warmup + duration + 1)), "--format", "raw", "--output",
            str(out), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await run.window(who, rate, warmup, duration, f"diagnostic: sampled at {rate:,}/s")
        await spy.wait()
        run.progress(f"  py-spy samples of the server: {out}")
        section.notes.append(f"py-spy samples at {rate:,}/s: .data/bench-logs/{out.name}")
    finally:
        await server.stop()


async def _lag_stages(run: Run, env: dict[str, str], cycle: Cycle, section: Section,
                      servers: list[Server]) -> OpenTally:  # fmt: skip
    """The lag window again (the target's rate) on a server recording when each event passed
    each stage from commit to the stream (bench/lag_trace.py)."""
    dump = str(LOGS / "attendance-lag-stages.json")
    traced = Server("tuoyu", run.db, {**env, "BENCH_LAGTRACE": dump}, "attendance-lag-stages")
    servers.append(traced)
    try:
        await traced.start("/health/ready")
        who = Rates("diagnostic: lag stages", "diagnostic", traced, cycle)
        await run.first_visits(who)
        lag = await run.lag_window(who, run.plan.lag_rate(), run.plan.duration)
        await asyncio.sleep(1.5)  # the server dumps its records every second
    finally:
        await traced.stop()
    lines = stages(dump, lag.probe.matcher.pairs, lag.probe.positions)
    run.progress("  lag stages:\n    " + "\n    ".join(lines))
    section.notes.append(
        f"where the lag goes at {lag.rate:,} check-ins/s (a server recording each stage):"
        f" {' | '.join(lines)}"
    )
    return lag.window[0]
