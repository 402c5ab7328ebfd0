"""Live occupancy for an institution's admins and caregivers: now, and as a Server-Sent Events
stream that resumes from `Last-Event-ID` (each event's id is its global position). A caregiver
sees the rooms they are clocked in to (backend/api/carer_view.py)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

import msgspec
from litestar import Request, Response, get
from litestar.enums import MediaType
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import ServerSentEvent, ServerSentEventMessage

from api_schema.attendance import LiveOccupancy
from backend.api.carer_view import CarerFeed, only_rooms, rooms_back_then, rooms_of
from backend.api.commanding import runtime
from backend.auth.access import allow, staff_of_institution, staff_role
from backend.auth.data_access import log_children_seen
from backend.auth.principal import Principal
from backend.live_feed import FeedRow
from backend.state import Runtime
from domain.account.aggregate import Role
from domain.clocks import families_today
from projections import attendance, attendance_queries

STAFF = allow(
    Role.institution_admin, Role.caregiver,
    relation="staff of the institution in the path; a caregiver sees the rooms they are clocked"
             " in to", check=staff_of_institution(
        "institution_admin", "caregiver"),
)  # fmt: skip
KEEP_ALIVE_SECONDS = 15.0
FEED_ID = re.compile(r"[0-9]{1,18}")  # a position the feed gives (bigint), in ASCII digits
FEED_PAGE = 500


async def live_now(rt: Runtime, institution_id: UUID) -> tuple[LiveOccupancy, bytes]:
    """The answer and its JSON, served from an in-process copy while no read model has moved
    and the minute is the same (the read benchmark's case); rebuilt from the read model
    otherwise."""
    now = rt.clock.now()
    stamp = _unmoved_since(rt, now)
    known, cached = rt.live_occupancy.get(institution_id, stamp)
    if known and cached is not None:
        return cached
    async with rt.pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        # one snapshot: the rows and the checkpoint they reflect, so a stream that starts from
        # this position neither misses nor repeats an event
        as_of = await conn.fetchval(
            "SELECT position FROM projection_checkpoints WHERE name = $1", attendance.name
        )
        found = await attendance_queries.live_occupancy(conn, institution_id, now)
    if found is None:
        raise NotFoundException(f"institution {institution_id} not found")
    live = msgspec.convert({**found, "position": as_of or 0}, LiveOccupancy)
    answer = (live, msgspec.json.encode(live))
    rt.live_occupancy.put(institution_id, stamp, answer)
    return answer


def _unmoved_since(rt: Runtime, now: datetime) -> tuple[int, datetime]:
    """A kept answer stands while no read model has moved and the minute is the same."""
    return rt.projector.lowest_position(), now.replace(second=0, microsecond=0)


async def carer_in_view(rt: Runtime, institution_id: UUID, principal: Principal) -> UUID | None:
    """The caller if they are one of the institution's caregivers (who see their own rooms),
    None for its admins (who see every room)."""
    return _carer_of(principal, await staff_role(rt, institution_id, principal.account_id))


def _carer_of(principal: Principal, role: str | None) -> UUID | None:
    return principal.account_id if role == "caregiver" else None


async def live_for(
    rt: Runtime, institution_id: UUID, carer: UUID | None
) -> tuple[LiveOccupancy, bytes]:
    """The live answer as `carer` sees it (every room for an admin, `carer` None), kept as the
    whole answer is."""
    if carer is None:
        return await live_now(rt, institution_id)
    stamp = _unmoved_since(rt, rt.clock.now())  # before the read: a later answer is no older
    known, cached = rt.carer_views.get((institution_id, carer), stamp)
    if known and cached is not None:
        return cached
    whole, _ = await live_now(rt, institution_id)
    live = only_rooms(whole, rooms_of(whole, carer))
    answer = (live, msgspec.json.encode(live))
    rt.carer_views.put((institution_id, carer), stamp, answer)
    return answer


@get("/v1/institutions/{institution_id:uuid}/occupancy/live", tags=["attendance"], opt=STAFF)
async def occupancy_live(
    request: Request[Principal, Any, Any], institution_id: FromPath[UUID]
) -> Response[LiveOccupancy]:
    """Each room now: children present (with age), clocked-in staff, required vs actual carers,
    class-size headroom, its alarm, and arrivals expected within the hour. Admins get every
    room; a caregiver the institution's totals and the rooms they are clocked in to."""
    rt = runtime(request)
    carer = await carer_in_view(rt, institution_id, request.user)
    live, encoded = await live_for(rt, institution_id, carer)
    await log_names_seen(rt, live, request.user)
    return Response(encoded, media_type=MediaType.JSON)  # type: ignore[arg-type]  # as encoded


async def log_names_seen(rt: Runtime, live: LiveOccupancy, reader: Principal) -> None:
    """The answer names the children present, with their ages: each reader is logged once a
    day per child (RULES.md: staff reads of a child's identity data are logged)."""
    now = rt.clock.now()
    children = [c.child_id for room in live.rooms for c in room.children]
    await log_children_seen(rt.pool, rt.logged_today, children, reader, "live occupancy", now,
                            families_today(now))  # fmt: skip


@get("/v1/institutions/{institution_id:uuid}/occupancy/stream", tags=["attendance"], opt=STAFF)
async def occupancy_stream(
    request: Request[Principal, Any, Any], institution_id: FromPath[UUID]
) -> ServerSentEvent:
    """Server-Sent Events. Without `Last-Event-ID` the first event is a `snapshot` (the live
    occupancy); then `child_checked_in`, `child_checked_out`, `staff_clocked_in`,
    `staff_clocked_out`, `ratio_alarm`, `ratio_recovered`, `uncollected_child`,
    `visit_corrected` (an admin's correction of the register), `child_moved` (a child gone
    to another room: `from_room_id` and `room_id`), each with its
    global position as id. Reconnect with `Last-Event-ID` to get every event after it.
    A caregiver's stream carries the events of the rooms they are clocked in to, and their own
    clock-ins and clock-outs (after a clock-in, fetch `/occupancy/live` for the room's state).
    The stream ends when the reader is removed from the staff or given another role (checked
    each time it wakes, for new events or a keep-alive)."""
    rt = runtime(request)
    after = resume_point(request.headers.get("last-event-id", ""))
    reader = Reader(
        request.user.account_id, await staff_role(rt, institution_id, request.user.account_id)
    )
    carer = _carer_of(request.user, reader.role)
    current = await live_for(rt, institution_id, carer)
    live = current[0]
    if after is not None and after > live.position:
        after = None  # an id this feed has not given (a restored database): start afresh
    snapshot = current if after is None else None
    if snapshot is not None:
        await log_names_seen(rt, live, request.user)
    scope = None
    if carer is not None:  # the rooms in view as of the snapshot, or as of the resumed event
        rooms = {r.room_id for r in live.rooms}
        if after is not None and after < live.position:
            clocks = await attendance_queries.clock_rows_between(
                rt.pool, institution_id, after, live.position
            )
            rooms = rooms_back_then(carer, rooms, [FeedRow(*r) for r in clocks])
        scope = CarerFeed(carer, rooms)
    return ServerSentEvent(_events(rt, institution_id, after, snapshot, scope, reader))


def resume_point(last_event_id: str) -> int | None:
    """The position to resume after, or None (a snapshot first) for an id the feed never gives:
    not ASCII digits (`²` passes `str.isdigit`), or beyond a bigint."""
    text = last_event_id.strip()
    return int(text) if FEED_ID.fullmatch(text) else None


class Reader(NamedTuple):
    """Who opened a stream, and their role on the institution's staff then."""

    account_id: UUID
    role: str | None


async def _still_reads(rt: Runtime, institution_id: UUID, reader: Reader) -> bool:
    """The reader holds the role they opened the stream with: not removed from the staff, nor
    moved to another role (which sees other rooms). The role is the cached one, read again only
    once a read model has moved, so a stream waking for each new row costs no query."""
    return await staff_role(rt, institution_id, reader.account_id) == reader.role


async def _events(
    rt: Runtime, institution_id: UUID, after: int | None,
    snapshot: tuple[LiveOccupancy, bytes] | None, scope: CarerFeed | None, reader: Reader,
) -> AsyncIterator[ServerSentEventMessage]:  # fmt: skip
    if snapshot is not None:
        live, encoded = snapshot
        after = live.position
        yield ServerSentEventMessage(data=encoded.decode(), event="snapshot", id=after)
    assert after is not None
    with rt.feed_hub.watching(institution_id):
        while await _still_reads(rt, institution_id, reader):  # else the stream ends
            kept = rt.feed_hub.rows_after(institution_id, after)
            rows = kept if kept is not None else await _read_feed(rt, institution_id, after)
            for row in rows:
                after = row.position
                if scope is None or scope.sees(row):
                    yield ServerSentEventMessage(data=row.data, event=row.kind, id=after)
            if kept is None and len(rows) == FEED_PAGE:
                continue
            if not rows:  # told of a row and given none: never loop without letting others run
                await asyncio.sleep(0)
            if not await rt.feed_hub.wait_past(institution_id, after, KEEP_ALIVE_SECONDS):
                yield ServerSentEventMessage(comment="keep-alive")


async def _read_feed(rt: Runtime, institution_id: UUID, after: int) -> list[FeedRow]:
    rows = await attendance_queries.feed_after(rt.pool, institution_id, after, FEED_PAGE)
    return [FeedRow(int(r["position"]), r["kind"], r["data"]) for r in rows]
