"""Benchmarks 1 and 2: append throughput (one event per command) and batch import (50 per command)."""

from __future__ import annotations

from dataclasses import dataclass

from bench.contestants import EventsourcingRecorder, OurStore, PlainAsyncpg, race
from bench.db import BenchDatabase
from bench.report import Section, at_least, at_least_ratio
from bench.timing import Progress

WRITERS = 16
IMPORT_EVENTS_PER_COMMAND = 50


@dataclass(frozen=True)
class Timing:
    duration: float
    warmup: float
    rounds: int


async def append_throughput(db: BenchDatabase, timing: Timing, progress: Progress) -> Section:
    progress(f"append: {WRITERS} writers, 1 event per command, {timing.duration:g}s each")
    ours = OurStore("EventStore.append", db, WRITERS, 1)
    quiet = OurStore(
        "EventStore.append, notify=False", db, WRITERS, 1, notify=False, role="diagnostic"
    )
    plain = PlainAsyncpg("asyncpg INSERT, 16 connections", db, WRITERS, 1)
    recorder = EventsourcingRecorder("eventsourcing PostgresApplicationRecorder", db, WRITERS, 1)
    tallies = await race(
        [ours, plain, recorder, quiet], timing.rounds, timing.warmup, timing.duration, progress
    )
    section = Section("append", "1. Append (16 writers, 1 event/command)")
    for c in (ours, plain, recorder, quiet):
        section.measure(c.label, c.role, tallies[c.label].summary())
    mine = tallies[ours.label]
    t = tallies[ours.label].summary()
    figure = f"{ours.label} (p50 {t['p50_ms']} ms, p99 {t['p99_ms']} ms)"
    section.verdicts += [
        at_least_ratio(figure, mine.rate, "ev/s", plain.label, tallies[plain.label].rate, 0.7),
        at_least_ratio(figure, mine.rate, "ev/s", recorder.label, tallies[recorder.label].rate, 3),
    ]
    section.notes.append(
        f"'{quiet.label}' is a diagnostic: the same store without the pg_notify round trip"
        f" after each batch ({tallies[quiet.label].rate / mine.rate:.2f}× the default)."
        if mine.rate
        else "our store wrote nothing in the window"
    )
    return section


async def batch_import(db: BenchDatabase, timing: Timing, progress: Progress) -> Section:
    n = IMPORT_EVENTS_PER_COMMAND
    progress(f"batch import: {WRITERS} writers, {n} events per command, {timing.duration:g}s each")
    ours = OurStore(f"EventStore.append, {n} events/command", db, WRITERS, n)
    plain = PlainAsyncpg(f"asyncpg copy_records_to_table, {n} rows/call", db, WRITERS, n)
    tallies = await race([ours, plain], timing.rounds, timing.warmup, timing.duration, progress)
    section = Section("batch", f"2. Batch import ({WRITERS} writers, {n} events/command)")
    for c in (ours, plain):
        section.measure(c.label, c.role, tallies[c.label].summary())
    section.verdicts.append(
        at_least(
            ours.label,
            tallies[ours.label].rate,
            "ev/s",
            plain.label,
            tallies[plain.label].rate,
            50_000,
        )  # fmt: skip
    )
    return section
