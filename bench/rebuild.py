"""Benchmark 3: rebuild the accounts read model from 1,000,000 stored events, beside a bare read+decode."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from bench.db import BenchDatabase
from bench.replay import EVENT_COLUMNS, Row, keyset_decode, make_accounts, rebuild_accounts
from bench.report import Section, at_least, at_least_ratio
from bench.timing import Progress

CHUNK = 20_000


def _spawn(workers: int) -> ProcessPoolExecutor:
    # spawn, not fork: the parent has asyncio and psycopg-pool threads running.
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


async def load_events(db: BenchDatabase, total: int, progress: Progress) -> None:
    """Empty the store and COPY `total` Account.Registered events in, positions 1..total."""
    await db.execute("TRUNCATE events, commands, snapshots, projection_checkpoints")
    await db.execute("DROP TABLE IF EXISTS rm_accounts")
    conn = await db.connect()
    loop = asyncio.get_running_loop()
    try:
        with _spawn(2) as pool:
            starts = deque(range(0, total, CHUNK))
            pending: deque[asyncio.Future[list[Row]]] = deque()

            def submit() -> None:
                first = starts.popleft()
                job: Future[list[Row]] = pool.submit(
                    make_accounts, first, min(CHUNK, total - first)
                )
                pending.append(asyncio.wrap_future(job, loop=loop))

            for _ in range(min(3, len(starts))):  # bounded: a few chunks in flight, not all
                submit()
            copied, mark = 0, total // 5
            while pending:
                rows = await pending.popleft()
                if starts:
                    submit()
                await conn.copy_records_to_table("events", records=rows, columns=EVENT_COLUMNS)
                copied += len(rows)
                if copied >= mark:
                    progress(f"  loaded {copied:,}/{total:,} events")
                    mark += total // 5
        await conn.execute("SELECT setval('event_position', $1)", total)
        progress("  VACUUM ANALYZE events, CHECKPOINT, warm the cache")
        await conn.execute("VACUUM ANALYZE events")
        await conn.execute("CHECKPOINT")
        await conn.fetchval("SELECT sum(length(state)) FROM events")
    finally:
        await conn.close()


async def _in_child(fn: Any, *args: Any) -> dict[str, Any]:
    with _spawn(1) as pool:
        result: dict[str, Any] = await asyncio.wrap_future(pool.submit(fn, *args))
        return result


async def projection_rebuild(db: BenchDatabase, total: int, progress: Progress) -> Section:
    progress(f"rebuild: generating and loading {total:,} Account.Registered events (untimed)")
    await load_events(db, total, progress)
    stored = await db.fetchval("SELECT count(*) FROM events")
    progress("  anchor: keyset-paged read + decode (own process)")
    anchor = await _in_child(keyset_decode, db.dsn, total)
    await db.checkpoint()
    progress("  ours: Projector.rebuild(accounts) (own process)")
    ours = await _in_child(rebuild_accounts, db.dsn, total)

    section = Section("rebuild", f"3. Rebuild accounts ({total:,} events)")
    rates = {}
    for label, role, r in [
        ("Projector.rebuild(accounts)", "ours", ours),
        ("keyset read (2,000/page) + decode", "anchor", anchor),
    ]:
        rates[role] = r["events"] / r["seconds"] if r["seconds"] else 0.0
        section.measure(
            label,
            role,
            {
                "events": r["events"],
                "seconds": round(r["seconds"], 3),
                "events_per_s": round(rates[role], 1),
                "peak_rss_mb": round(r["peak_rss_mb"], 1),
            },
        )
    figure = f"Projector.rebuild(accounts), peak RSS {ours['peak_rss_mb']:.0f} MB"
    anchor_label = f"keyset read + decode, peak RSS {anchor['peak_rss_mb']:.0f} MB"
    section.verdicts += [
        at_least(figure, rates["ours"], "ev/s", anchor_label, rates["anchor"], 100_000),
        at_least_ratio(figure, rates["ours"], "ev/s", anchor_label, rates["anchor"], 0.25),
    ]
    ok = ours["rows"] == total and stored == total and anchor["events"] == total
    section.notes.append(
        f"row check {'OK' if ok else 'FAILED'}: {stored:,} events stored, anchor decoded"
        f" {anchor['events']:,}, rm_accounts has {ours['rows']:,} rows (expected {total:,})."
    )
    section.notes.append(
        "each replay ran in its own freshly spawned process; peak RSS is that process's VmHWM"
        " (its ru_maxrss would include the parent's RSS, inherited across exec)."
    )
    progress(
        f"  rm_accounts rows: {ours['rows']:,} (expected {total:,}) {'OK' if ok else 'MISMATCH'}"
    )
    return section
