"""Diagnostics of the hot-room booking path, never judged: a fresh room-day, httpx clients,
the app without projector, a traced window (wall time per step) and a cProfile window.

The trace and the profile run on a separate server process started with BENCH_TRACE=1 (bench/server_trace.py),
after the measured windows, so neither the wrappers nor the profiler touch a measured figure.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.availability_http import CLIENTS as SEARCH_CLIENTS
from bench.availability_http import search_requests
from bench.db import BenchDatabase
from bench.hot_checks import settle
from bench.hot_world import CLIENTS, Draw, HotWorld, booking_requests, future_days, minute_slots
from bench.http_load import Outcomes, Request, http_window
from bench.raw_http import raw_window
from bench.report import Section
from bench.servers import LOGS, CpuMeter, Server, cpu_text

# The order the steps of one command come in, for the printed breakdown.
ORDER = (
    "request POST", "command:", "db: idempotency lookup", "attempt optimistic", "attempt lane",
    "load ", "db: snapshot read", "db: stream read", "append", "db: append_batch commit",
    "batch commands", "snapshot encode", "db: snapshot write", "projector step",
)  # fmt: skip


async def _control(server: Server, path: str, method: str = "GET") -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, timeout=120.0) as client:
        return await client.request(method, path)


async def traced_window(
    server: Server, clients: int, make: Callable[[], Request], duration: float
) -> dict[str, Any]:
    """Counters of one window on a BENCH_TRACE server, with what the clients saw."""
    await _control(server, "/__bench/trace/start", "POST")
    out = Outcomes("traced", "diagnostic")
    await raw_window(server.port, clients, make, out, 0.0, duration)
    report: dict[str, Any] = (await _control(server, "/__bench/trace/stop")).json()
    report["outcomes"] = out.summary()
    return report


def breakdown(report: dict[str, Any]) -> list[str]:
    """Per command: how often each step ran and its wall time (steps overlap and nest)."""
    counters = report["counters"]
    commands = sum(v["count"] for k, v in counters.items() if k.startswith("command: ")) or 1
    window = report["window_s"] or 1.0

    def rank(name: str) -> int:
        return next((i for i, p in enumerate(ORDER) if name.startswith(p)), len(ORDER))

    lines = [
        f"{commands:,} commands in {window:.1f}s ({commands / window:,.0f}/s);"
        f" server process CPU {report['process_cpu_s'] / window:.2f} cores,"
        f" {report['process_cpu_s'] / commands * 1000:.1f} ms per command;"
        f" event-loop lag p50 {report['loop_lag_ms']['p50']} ms, p99 {report['loop_lag_ms']['p99']} ms"
    ]
    for name in sorted(counters, key=lambda n: (rank(n), n)):
        c = counters[name]
        if c["seconds"] / commands < 0.00005 and not name.startswith(("round trips", "batch")):
            continue  # nothing to see (e.g. no wait for a lane on the optimistic try)
        if name.startswith("round trips"):
            lines.append(f"  {name}: {c['count'] / commands:.1f} per command")
            continue
        if name == "batch commands":
            batches = counters.get("db: append_batch commit", {}).get("count", 0) or 1
            lines.append(f"  commands per append batch: {c['count'] / batches:.2f}")
            continue
        if name.startswith("projector"):
            lines.append(
                f"  {name}: {c['count'] / window:,.1f}/s, {c['seconds'] / window * 1000:.0f} ms per s"
            )
            continue
        lines.append(
            f"  {name}: {c['count'] / commands:.2f} per command,"
            f" {c['seconds'] / commands * 1000:.2f} ms per command"
            f" ({c['seconds'] / max(c['count'], 1) * 1000:.2f} ms each)"
        )
    return lines


async def profiled_window(
    server: Server,
    clients: int,
    make: Callable[[], Request],
    duration: float,
    name: str,
    accepted: int = 201,
) -> Path:
    """cProfile over one window in the server process; the text summary is written to LOGS."""
    await _control(server, "/__bench/profile/start", "POST")
    out = Outcomes("profiled", "diagnostic")
    await raw_window(server.port, clients, make, out, 0.0, duration, accepted=accepted)
    prof = LOGS / f"{name}.prof"
    text = (await _control(server, f"/__bench/profile/stop?out={prof}")).text
    path = LOGS / f"{name}.txt"
    path.write_text(
        f"cProfile of the server process over {duration:g}s: {out.accepted:,} accepted"
        f" ({out.rate:,.0f}/s under the profiler), {out.refused:,} refused, {dict(out.other)}\n\n"
        + text,
        encoding="utf-8",
    )
    return path


async def diagnostics(
    db: BenchDatabase, world: HotWorld, ours: Server, plain: Server, plan: Any,
    section: Section, env: dict[str, str], servers: list[Server], unused: Draw, progress: Any,
) -> None:  # fmt: skip
    """Not judged: a fresh room-day (lean client, then httpx), the plain endpoint with httpx,
    the app without its projector, then a traced and a profiled window."""
    first = world.tight_day.toordinal()
    days = [date.fromordinal(first + n) for n in range(1, 8)]
    clients = CLIENTS

    def fresh(day: date) -> Any:
        return booking_requests(world, world.wide_room, day, Draw(world.children), minute_slots())

    async def window(server: Server, label: str, make: Any, lean: bool = True) -> Outcomes:
        out = Outcomes(label, "diagnostic")
        world.mint_tokens()
        await db.checkpoint()
        meter = CpuMeter(db, server.pid)
        if lean:
            await raw_window(
                server.port, clients, make, out, plan.warmup, plan.diag_duration, meter
            )
        else:
            await http_window(
                server.url, clients, make, out, plan.warmup, plan.diag_duration, meter
            )
        if server.kind == "tuoyu" and server.env.get("BENCH_PROJECTOR") != "0":
            await settle(server.url)
        progress(
            f"  {label}: {out.rate:,.0f} accepted/s, p99 {out.percentile_ms(0.99) or 0:.1f} ms"
        )
        section.measure(out.label, out.role, out.summary())
        section.notes.append(
            f"{label}: {cpu_text(out.cpu[0])}; {out.cpu_per()}" if out.cpu else label
        )
        return out

    progress("hot room diagnostics (not judged)")
    await window(ours, "diagnostic: ours, a fresh room-day", fresh(days[0]))
    await window(
        ours, "diagnostic: ours, a fresh room-day, httpx clients", fresh(days[1]), lean=False
    )
    plain_make = booking_requests(
        world, world.wide_room, days[2], Draw(world.children), minute_slots()
    )
    await window(plain, "diagnostic: plain INSERT endpoint, httpx clients", plain_make, lean=False)
    await ours.stop()
    quiet = Server("tuoyu", db, {**env, "BENCH_PROJECTOR": "0"}, "hot-room-no-projector")
    servers.append(quiet)
    await quiet.start("/health/live")
    # Every fresh Draw starts at the same child, so the windows on `ours` above booked
    # children it had cached since the measured windows; this fresh process would read each
    # one cold (it made the projector-less server look slower than the app with its
    # projector). An uncounted window on another day caches them here too, twice as long
    # as the measured one: this server books faster once it knows them.
    world.mint_tokens()
    warming = Outcomes("warming (not counted)", "diagnostic")
    await raw_window(
        quiet.port, clients, fresh(days[6]), warming, 0.0, 2 * (plan.warmup + plan.diag_duration)
    )
    await window(
        quiet, "diagnostic: ours without projector tasks, a fresh room-day", fresh(days[3])
    )
    await quiet.stop()
    traced = Server("tuoyu", db, {**env, "BENCH_TRACE": "1"}, "hot-room-trace")
    servers.append(traced)
    await traced.start("/health/ready")
    world.mint_tokens()
    for label, day, draw in (
        ("a fresh room-day", days[4], Draw(world.children)),
        ("the grown unlimited room-day", world.wide_day, unused),
    ):
        make = booking_requests(world, world.wide_room, day, draw, minute_slots())
        lines = breakdown(await traced_window(traced, clients, make, plan.diag_duration))
        progress(f"  trace, {label}:\n    " + "\n    ".join(lines))
        section.notes.append(f"trace, {label}: " + " | ".join(line.strip() for line in lines))
    path = await profiled_window(
        traced, clients, fresh(days[5]), plan.diag_duration, "hot_room-profile"
    )
    progress(f"  cProfile of the server over a fresh room-day: {path}")
    section.notes.append(f"cProfile of the server (a fresh room-day): .data/bench-logs/{path.name}")
    search = search_requests(world, future_days(datetime.now(UTC).date())[2], random.Random(12))
    path = await profiled_window(
        traced, SEARCH_CLIENTS, search, plan.diag_duration, "availability-profile", accepted=200
    )
    progress(f"  cProfile of the server over availability searches: {path}")
    section.notes.append(
        f"cProfile of the server (availability searches): .data/bench-logs/{path.name}"
    )
