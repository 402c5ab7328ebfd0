"""Timed jobs. APScheduler is only a ticker: each job is an idempotent command run under a
PostgreSQL advisory lock, so any number of workers may tick and each effect happens once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from api_schema.common import CommandAccepted
from backend.commands import CommandContext, CommandOutcome, execute
from backend.following_jobs import alone as _alone
from backend.freed_places import offer_places_freed_by_changes
from backend.rule_alarms import raise_alarms_after_rule_changes
from backend.services.attendance import release_no_show
from backend.services.children import erase_after_retention
from backend.services.room_day_care import FALLBACK_CLOSING, Escalated, escalate_uncollected
from backend.services.room_day_stays import stayed_on
from backend.services.waitlist import expire_offers
from backend.state import Runtime
from backend.unit_of_work import UnitOfWork
from domain.booking.terms import MIN_NO_SHOW_MINUTES
from domain.child.consent import retention_cutoff
from domain.errors import DomainError
from projections import attendance_queries
from projections import children as children_model
from projections import waitlist as waitlist_model

log = logging.getLogger("tuoyu.scheduler")
T = TypeVar("T")
NO_SHOW_LOCK = 7_479_000_001
WAITLIST_LOCK = 7_479_000_002
UNCOLLECTED_LOCK = 7_479_000_003
RETENTION_LOCK = 7_479_000_004
# Bookings still awaiting their child past the institution's no-show time. Every 30 s, so it
# reads only bookings still confirmed that started before now minus the shortest no-show time
# any institution may set (domain/booking/terms.py): a range of the partial index
# rm_bookings_awaiting_arrival, however many bookings the years have left behind.
_DUE_NO_SHOWS = (
    "SELECT b.id, b.room_day_id FROM rm_bookings b"
    " LEFT JOIN rm_booking_settings s ON s.institution_id = b.institution_id"
    " WHERE b.status = 'confirmed' AND NOT EXISTS (SELECT 1 FROM rm_live_children l"
    "   JOIN rm_attendance_days d ON d.id = l.day_id WHERE l.child_id = b.child_id"
    "   AND l.room_id = b.room_id AND d.institution_id = b.institution_id AND d.day = b.day)"
    f" AND b.starts_at <= $1::timestamptz - make_interval(mins => {MIN_NO_SHOW_MINUTES})"
    " AND b.starts_at + make_interval(mins => coalesce(s.no_show_after_minutes, 30)) <= $1"
    " ORDER BY b.starts_at LIMIT 500"
)
# Bookings begun (in the last day) whose child is still in their room from the day before: nobody
# collected it by midnight in a room open round the clock. They count as arrived at once, not
# after the no-show time: the child is there (backend/services/room_day_stays.py).
_STAYED_ON = (
    "SELECT b.id, b.room_day_id FROM rm_bookings b"
    " WHERE b.status = 'confirmed' AND b.starts_at <= $1::timestamptz"
    " AND b.starts_at > $1::timestamptz - interval '1 day' AND EXISTS (SELECT 1"
    "   FROM rm_live_children l JOIN rm_attendance_days d ON d.id = l.day_id"
    "   WHERE l.child_id = b.child_id AND l.room_id = b.room_id"
    "   AND d.institution_id = b.institution_id AND d.day = b.day - 1)"
    " ORDER BY b.starts_at LIMIT 500"
)


async def _each_alone(
    runtime: Runtime, ctx: CommandContext, decide: Any, result_type: type[T], what: str
) -> CommandOutcome[T] | None:
    """One item of a job, on its own: refused (the world moved on) or failed, it is logged and
    skipped (None), so one stream that cannot be done never holds up the rest of the tick."""
    try:
        return await execute(runtime.store, ctx, decide, result_type)
    except DomainError as refused:
        log.info("%s not done: %s", what, refused.detail)
    except Exception:  # a bug or a broken stream: told loudly, and the other items still run
        log.exception("%s failed; the job goes on with the rest", what)
    return None


async def release_due_no_shows(runtime: Runtime) -> int:
    """Release every booking whose child has not arrived in time; return how many. First, a
    booking begun while its child is still in the room from the day before counts as arrived."""
    released = 0
    async with _alone(runtime, NO_SHOW_LOCK) as conn:
        if conn is None:
            return 0
        now = runtime.clock.now()
        await _arrived_staying_on(runtime, conn, now)
        for row in await conn.fetch(_DUE_NO_SHOWS, now):
            ctx = CommandContext(
                now=now, actor="system:no-show", command_key=f"no-show:{row['id']}"
            )
            outcome = await _each_alone(
                runtime, ctx, _releaser(now, row["room_day_id"], row["id"]), CommandAccepted,
                f"no-show of {row['id']}",  # refused when it arrived meanwhile, was cancelled…
            )  # fmt: skip
            released += 0 if outcome is None or outcome.replayed else 1
    if released:
        log.info("released %d no-show bookings", released)
    return released


async def _arrived_staying_on(runtime: Runtime, conn: asyncpg.Connection, now: datetime) -> int:
    """Each booking begun while its child stayed on in its room from the day before counts as
    arrived (one command each, keyed by the booking: a second worker's replays it); how many."""
    arrived = 0
    for row in await conn.fetch(_STAYED_ON, now):
        ctx = CommandContext(now=now, actor="system:no-show", command_key=f"stayed-on:{row['id']}")
        outcome = await _each_alone(
            runtime, ctx, _stayer(now, row["room_day_id"], row["id"]), CommandAccepted,
            f"arrival of {row['id']} staying on from the day before",
        )  # fmt: skip
        arrived += 0 if outcome is None or outcome.replayed else 1
    if arrived:
        log.info("%d bookings began with their child here from the day before", arrived)
    return arrived


def _stayer(now: datetime, room_day_id: UUID, booking_id: UUID) -> Any:
    async def decide(uow: UnitOfWork) -> CommandAccepted:
        return await stayed_on(uow, now, room_day_id=room_day_id, booking_id=booking_id)

    return decide


async def expire_lapsed_offers(runtime: Runtime) -> int:
    """Lapse waitlist offers not taken in time; the next families in line get theirs."""
    return await _on_waitlisted_room_days(
        runtime, WAITLIST_LOCK, waitlist_model.room_days_with_lapsed_offers, _expirer,
        "lapsed offers",
    )  # fmt: skip


async def _on_waitlisted_room_days(
    runtime: Runtime, lock: int, find: Any, decide: Any, what: str
) -> int:
    """Under `lock`, the room-days `find(conn, now)` reads, each decided alone; how many."""
    async with _alone(runtime, lock) as conn:
        if conn is None:
            return 0
        now = runtime.clock.now()
        room_days: list[UUID] = await find(conn, now)
        for room_day_id in room_days:
            ctx = CommandContext(now=now, actor="system:waitlist")
            await _each_alone(
                runtime, ctx, decide(now, room_day_id), CommandAccepted,
                f"{what} of room-day {room_day_id}",
            )  # fmt: skip
    return len(room_days)


async def escalate_uncollected_children(runtime: Runtime) -> int:
    """Past closing + grace, escalate each child still checked in (guardians, then admins too),
    again every few minutes until collected; return how many escalations were raised."""
    raised = 0
    async with _alone(runtime, UNCOLLECTED_LOCK) as conn:
        if conn is None:
            return 0
        now = runtime.clock.now()
        since = attendance_queries.yesterday(now)
        candidates = await attendance_queries.days_past_closing_with_children(
            conn, since, now, FALLBACK_CLOSING
        )
        for day_id in candidates:
            ctx = CommandContext(now=now, actor="system:uncollected")
            outcome = await _each_alone(
                runtime, ctx, _escalator(now, day_id), Escalated, f"escalation of day {day_id}"
            )
            raised += outcome.value.raised if outcome is not None else 0
    if raised:
        log.warning("escalated %d uncollected children", raised)
    return raised


def _escalator(now: datetime, day_id: UUID) -> Any:
    async def decide(uow: UnitOfWork) -> Escalated:
        return await escalate_uncollected(uow, now, day_id=day_id)

    return decide


def _expirer(now: datetime, room_day_id: UUID) -> Any:
    async def decide(uow: UnitOfWork) -> CommandAccepted:
        return await expire_offers(uow, now, room_day_id=room_day_id)

    return decide


def _releaser(now: datetime, room_day_id: UUID, booking_id: UUID) -> Any:
    async def decide(uow: UnitOfWork) -> CommandAccepted:
        return await release_no_show(uow, now, room_day_id=room_day_id, booking_id=booking_id)

    return decide


async def erase_children_past_retention(runtime: Runtime) -> int:
    """Keep the consent notice's word: a child whose last care ended more than the retention
    period ago is erased as if its guardian had asked (domain/child/consent.py)."""
    erased = 0
    async with _alone(runtime, RETENTION_LOCK) as conn:
        if conn is None:
            return 0
        now = runtime.clock.now()
        cutoff = datetime.combine(retention_cutoff(now.date()), time(), tzinfo=UTC)
        for child_id in await children_model.past_retention(conn, cutoff):
            ctx = CommandContext(now=now, actor="system:retention")
            erasure = await _each_alone(
                runtime, ctx, _retention_eraser(now, child_id), CommandAccepted,
                f"erasure of child {child_id}",  # refused when it visited since, or was erased
            )  # fmt: skip
            if erasure is None:
                continue
            await runtime.store.destroy_child_key(child_id)
            erased += 1
    if erased:
        log.info("erased %d children past retention", erased)
    return erased


def _retention_eraser(now: datetime, child_id: UUID) -> Any:
    async def decide(uow: UnitOfWork) -> CommandAccepted:
        return await erase_after_retention(uow, now, child_id=child_id, today=now.date())

    return decide


async def sweep_unused_child_keys(runtime: Runtime) -> int:
    """One statement, safe on any number of workers at once (see ChildKeys.sweep_unused)."""
    swept = await runtime.store.mapper.keys.sweep_unused(runtime.pool)
    if swept:
        log.info("swept %d child data keys that sealed nothing", swept)
    return swept


def start_ticker(runtime: Runtime, every_seconds: float = 30.0) -> Any:
    scheduler = AsyncIOScheduler(timezone="UTC")
    for hourly in (sweep_unused_child_keys, erase_children_past_retention):
        scheduler.add_job(
            hourly, IntervalTrigger(hours=1), args=[runtime], id=hourly.__name__,
            max_instances=1, coalesce=True,
        )  # fmt: skip
    for job in (
        release_due_no_shows, expire_lapsed_offers, offer_places_freed_by_changes,
        escalate_uncollected_children, raise_alarms_after_rule_changes,
    ):  # fmt: skip
        scheduler.add_job(
            job,
            IntervalTrigger(seconds=every_seconds),
            args=[runtime],
            id=job.__name__,
            max_instances=1,  # a slow tick is never overtaken by the next one
            coalesce=True,
        )
    scheduler.start()
    return scheduler
