"""Who takes a place in each room on a day, kept in process per room-day, so that a search reads
from the database only the room-days that changed since it last read them.

A room-day's presence is every booking of the day that holds a place (confirmed or checked
in), every regular place (enrolment) taken that weekday, and every place held by a waitlist
offer: what `bookings`, `enrolments` and `waitlist` hold. The projector tells the copy, as each
step commits, which of those models changed and from which streams (`Projector.watch`):
bookings and waitlist rows are a room-day's (their events are the RoomDay stream's), so only
that room-day is read again; an enrolment covers a term of days, and a change another process
made (or a rebuild) is not known by stream: then the whole copy goes.

A waitlist offer holds its place until `offered_until`; the job that expires offers runs now
and then, so a search judges each kept offer by the time of the search, not by its row.

A read racing a change must not keep what it read before the change: each change is numbered,
the last few are remembered with their room-days, and a read keeps only rows no change has
touched since it started (none at all, if more changes came than are remembered).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from uuid import UUID

import asyncpg

from domain.booking.room_day import room_day_id
from projections import bookings, enrolments, waitlist
from projections.enrolments import PRESENT_ON

# Parallel lists of who is present that day: start minutes, end minutes, children per carer.
Present = tuple[list[int], list[int], list[int]]
NOBODY: Present = ([], [], [])
# What is kept of a room-day: who is present, and when each waitlist offer among them lapses
# (None when the day has no offer: the usual case, with nothing to filter).
Kept = tuple[Present, list[datetime | None] | None]
KEYED_BY_ROOM_DAY = frozenset((bookings.name, waitlist.name))  # their rows are a room-day's
READ_BY_SEARCHES = KEYED_BY_ROOM_DAY | {enrolments.name}
# The whole day's presence of some rooms in one round trip; a row per room with people.
PRESENT_ALL_DAY = (
    "SELECT room_id, array_agg(start_min), array_agg(end_min), array_agg(children_per_carer),"
    " array_agg(until) FROM (SELECT room_id, start_min, end_min, children_per_carer,"
    " NULL::timestamptz AS until FROM rm_bookings"
    " WHERE room_id = ANY($1::uuid[]) AND day = $2 AND status IN ('confirmed', 'checked_in')"
    f" UNION ALL SELECT *, NULL::timestamptz FROM ({PRESENT_ON}) enrolled"
    " UNION ALL SELECT d.room_id, w.start_min, w.end_min, w.children_per_carer, w.offered_until"
    " FROM rm_waitlist w JOIN rm_room_days d ON d.id = w.room_day_id"
    " WHERE d.room_id = ANY($1::uuid[]) AND w.day = $2 AND w.status = 'offered'"
    ") present GROUP BY room_id"
)
_ALL = None  # a change not known by room-day


class RoomPresence:
    def __init__(self, bound: int = 50_000, remembered_changes: int = 256) -> None:
        self._present: dict[tuple[UUID, date], Kept] = {}  # (room, day) → that day's
        self._key_of: dict[UUID, tuple[UUID, date]] = {}  # room-day id → (room, day) kept
        self._bound = bound
        self._change = 0  # how many changes were heard
        self._recent: deque[tuple[int, frozenset[UUID] | None]] = deque(
            maxlen=remembered_changes
        )  # (change number, the room-days it touched or _ALL)

    async def of_rooms(
        self,
        conn: asyncpg.Connection | asyncpg.Pool,
        room_ids: Sequence[UUID],
        day: date,
        now: datetime,
    ) -> dict[UUID, Present]:
        """Each room's presence on `day` (NOBODY if none) at `now`, when a lapsed waitlist offer
        holds no place: kept ones, the rest read at once."""
        found: dict[UUID, Present] = {}
        missing = []
        for room_id in room_ids:
            kept = self._present.get((room_id, day))
            if kept is None:
                missing.append(room_id)
            else:
                found[room_id] = _at(kept, now)
        if not missing:
            return found
        started_at = self._change
        read: dict[UUID, Kept] = dict.fromkeys(missing, (NOBODY, None))
        for room_id, starts, ends, per_carer, until in await conn.fetch(
            PRESENT_ALL_DAY, missing, day
        ):
            offers = until if any(u is not None for u in until) else None
            read[room_id] = ((starts, ends, per_carer), offers)
        touched = self._touched_since(started_at)
        for room_id, kept in read.items():
            found[room_id] = _at(kept, now)
            room_day = room_day_id(room_id, day)
            if touched is not _ALL and room_day not in touched:
                self._keep(room_id, day, room_day, kept)
        return found

    def heard(self, names: Sequence[str], streams: Mapping[str, Collection[UUID]]) -> None:
        """A projector's step committed changes to `names` (see `Projector.watch`)."""
        mine = [name for name in names if name in READ_BY_SEARCHES]
        if not mine:
            return
        if all(name in KEYED_BY_ROOM_DAY and name in streams for name in mine):
            self.forget(frozenset().union(*(streams[name] for name in mine)))
        else:
            self.forget(_ALL)

    def forget(self, room_days: frozenset[UUID] | None) -> None:
        """Drop what is kept of these room-days (None: of every room-day)."""
        self._change += 1
        self._recent.append((self._change, room_days))
        if room_days is _ALL:
            self._present.clear()
            self._key_of.clear()
            return
        for room_day in room_days:
            key = self._key_of.pop(room_day, None)
            if key is not None:
                del self._present[key]

    def _touched_since(self, change: int) -> frozenset[UUID] | None:
        """The room-days changed after change number `change` (_ALL: any may have been)."""
        if self._change == change:
            return frozenset()
        if not self._recent or self._recent[0][0] > change + 1:  # more came than remembered
            return _ALL
        touched: set[UUID] = set()
        for number, room_days in self._recent:
            if number > change:
                if room_days is _ALL:
                    return _ALL
                touched |= room_days
        return frozenset(touched)

    def _keep(self, room_id: UUID, day: date, room_day: UUID, present: Kept) -> None:
        if len(self._present) >= self._bound:  # the oldest kept goes first
            oldest = next(iter(self._key_of))
            del self._present[self._key_of.pop(oldest)]
        self._present[(room_id, day)] = present
        self._key_of[room_day] = (room_id, day)


def _at(kept: Kept, now: datetime) -> Present:
    """Who holds a place at `now`: a waitlist offer only until it lapses."""
    present, offers = kept
    if offers is None:
        return present
    holding = [until is None or now < until for until in offers]
    if all(holding):
        return present
    starts, ends, per_carers = present
    return (
        [s for s, held in zip(starts, holding, strict=True) if held],
        [e for e, held in zip(ends, holding, strict=True) if held],
        [p for p, held in zip(per_carers, holding, strict=True) if held],
    )
