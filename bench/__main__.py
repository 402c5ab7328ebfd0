"""Entry point: python -m bench [--quick] [--only append|batch|rebuild|hot_room|attendance]; prints progress, writes results."""

from __future__ import annotations

import argparse
import asyncio
import warnings
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from typing import Any

from bench.append import Timing, append_throughput, batch_import
from bench.attendance import AttendancePlan, attendance
from bench.db import machine, open_bench_database
from bench.hot_room import HotPlan, hot_room
from bench.rebuild import projection_rebuild
from bench.report import Section, to_markdown, write
from bench.timing import Progress

BENCHMARKS = ("append", "batch", "rebuild", "hot_room", "attendance")
FULL = {
    "append": Timing(duration=20, warmup=1.0, rounds=2),
    "batch": Timing(duration=10, warmup=1.0, rounds=2),
    "rebuild_events": 1_000_000,
    "hot_room": HotPlan("suzhou", 60_000, 20, 2.0, 2, 20, 8, 10),
    "attendance": AttendancePlan(
        city="suzhou",
        rooms=600,
        per_institution=1,
        rates=(100, 500, 1000),
        ramp=(1250, 1500, 2000, 2500, 3000),
        bisections=2,
        warmup=2.0,
        duration=8.0,
        step_duration=5.0,
        probes=8,
        lag_events=500,
        read_duration=12.0,
        read_rounds=2,
        hold=None,
        connections=128,
        minutes_needed=12.0,
        diag_duration=5.0,
    ),
}
QUICK = {
    "append": Timing(duration=3, warmup=0.3, rounds=1),
    "batch": Timing(duration=2, warmup=0.3, rounds=1),
    "rebuild_events": 50_000,
    "hot_room": HotPlan("small", 4_000, 4, 0.5, 1, 3, 2, 2),
    "attendance": AttendancePlan(
        city="small",
        rooms=40,
        per_institution=3,
        rates=(20, 40, 60),
        ramp=(70,),
        bisections=1,
        warmup=0.5,
        duration=2.0,
        step_duration=1.5,
        probes=2,
        lag_events=60,
        read_duration=2.0,
        read_rounds=1,
        hold=None,
        connections=32,
        minutes_needed=4.0,
        diag_duration=1.5,
    ),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short smoke run (seconds)")
    parser.add_argument(
        "--only",
        action="append",
        choices=BENCHMARKS,
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    return parser.parse_args()


async def main(args: argparse.Namespace) -> None:
    plan: dict[str, Any] = QUICK if args.quick else FULL
    chosen = [name for name in BENCHMARKS if not args.only or name in args.only]
    progress = Progress()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    progress(f"bench ({'quick' if args.quick else 'full'}): {', '.join(chosen)}")
    progress("starting embedded PostgreSQL (.data/bench-pg), fresh database, migrations")
    db = await open_bench_database()
    sections: list[Section] = []
    try:
        for name in chosen:
            if name == "append":
                sections.append(await append_throughput(db, plan["append"], progress))
            elif name == "batch":
                sections.append(await batch_import(db, plan["batch"], progress))
            elif name == "hot_room":
                sections += await hot_room(db, plan["hot_room"], progress)
            elif name == "attendance":
                sections += await attendance(db, plan["attendance"], progress)
            else:
                sections.append(await projection_rebuild(db, plan["rebuild_events"], progress))
    finally:
        db.stop()
    meta = {
        "started": started,
        "quick": args.quick,
        "only": chosen,
        "plan": {k: asdict(v) if is_dataclass(v) else v for k, v in plan.items()},
        "machine": machine(),
        "postgres": db.settings,
        "elapsed_s": round(progress.elapsed(), 1),
    }
    md_path, json_path = write(meta, sections)
    print()
    print(to_markdown(meta, sections))
    progress(
        f"wrote {md_path.relative_to(md_path.parents[2])} and {json_path.name}; latest.md/json"
    )


if __name__ == "__main__":
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="eventsourcing")
    asyncio.run(main(parse_args()))
