"""What of an institution's live occupancy a caregiver sees: the rooms they are clocked in to.

Admins see every room. A caregiver sees the institution's totals and the rooms where they are
on shift now: not the children of a room they are not looking after (ADR 0021). On the stream
the set of rooms follows the caregiver's own clock events as they come, so a move shows the
new room's events from the move on (the app fetches `/occupancy/live` for its state); a child
moving between rooms is seen by the carers of both. A stream
resumed from `Last-Event-ID` starts from the rooms they were in at that event, so the events it
replays are those of the rooms they were in at each one.
"""

from __future__ import annotations

from uuid import UUID

import msgspec

from api_schema.attendance import LiveOccupancy
from backend.live_feed import FeedRow


def rooms_of(live: LiveOccupancy, carer: UUID) -> set[UUID]:
    """The rooms `carer` is clocked in to in this answer."""
    return {r.room_id for r in live.rooms if any(s.account_id == carer for s in r.staff)}


def only_rooms(live: LiveOccupancy, rooms: set[UUID]) -> LiveOccupancy:
    """The answer with only `rooms` (the institution's totals kept)."""
    return msgspec.structs.replace(live, rooms=[r for r in live.rooms if r.room_id in rooms])


class _RowRoom(msgspec.Struct):
    room_id: UUID
    staff_id: UUID | None = None
    from_room_id: UUID | None = None  # a child's move (`child_moved`): the room it left


_row_room = msgspec.json.Decoder(_RowRoom)
_CLOCKED_IN, _CLOCKED_OUT = "staff_clocked_in", "staff_clocked_out"


def rooms_back_then(carer: UUID, rooms_now: set[UUID], clock_rows: list[FeedRow]) -> set[UUID]:
    """The rooms `carer` was clocked in to before `clock_rows` (the institution's clock rows
    since then, in feed order), from those they are clocked in to after them: undone newest
    first, a clock-in leaves the room and a clock-out returns to it."""
    rooms = set(rooms_now)
    for row in reversed(clock_rows):
        about = _row_room.decode(row.data)
        if about.staff_id != carer:
            continue
        if row.kind == _CLOCKED_IN:
            rooms.discard(about.room_id)
        elif row.kind == _CLOCKED_OUT:
            rooms.add(about.room_id)
    return rooms


class CarerFeed:
    """Which feed rows a caregiver's stream carries: those of the rooms they are clocked in
    to at the row's place in the feed, starting from `rooms` (as of the stream's start)."""

    def __init__(self, carer: UUID, rooms: set[UUID]) -> None:
        self.carer, self.rooms = carer, rooms

    def sees(self, row: FeedRow) -> bool:
        about = _row_room.decode(row.data)
        if about.staff_id == self.carer and row.kind == _CLOCKED_IN:
            self.rooms.add(about.room_id)
            return True
        seen = about.room_id in self.rooms or about.from_room_id in self.rooms
        if about.staff_id == self.carer and row.kind == _CLOCKED_OUT:
            self.rooms.discard(about.room_id)
            return True
        return seen
