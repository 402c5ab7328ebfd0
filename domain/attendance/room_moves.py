"""A child moves from one room of the institution to another during the day (转班).

Not a pick-up and a new drop-off: nobody collects the child, the guardian is not told it left,
and the morning check is not repeated. The stay in the old room ends at the move and one in
the new room begins; a nap in the old room ends with it. The new room must take the child at
that minute (class size and staff ratio, as at the door) unless an admin overrides with a
reason; the institution's headcount does not change. A move a device replays late is judged on
the new room as it was at its `at`, as a replayed arrival is (domain/attendance/replays.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from uuid import UUID

import msgspec

from domain.attendance.replays import is_replayed, status_at
from domain.attendance.room_ratio import RoomRules, RoomStatus, check_room_takes
from domain.attendance.values import PresentChild, Visit
from domain.booking.room_day import RatioWouldBreak, RoomFull
from domain.clocks import CLOCK_SKEW
from domain.errors import InvalidValue


class AlreadyInRoom(InvalidValue):
    code = "already-in-room"


class RoomNotInInstitution(InvalidValue):
    code = "room-not-in-institution"


class RoomMove(msgspec.Struct, frozen=True):
    """The child in its new room from the move (`child.since` is the move's time), where it
    came from, who moved it, and the rooms' names as they were (for the child's day)."""

    child: PresentChild
    from_room_id: UUID
    by: UUID
    override_reason: str | None = None
    from_room_name: str = ""
    to_room_name: str = ""

    @property
    def at(self) -> datetime:
        return self.child.since


def check_other_room(present: PresentChild, to_room_id: UUID) -> None:
    """A move goes to another room than the one the child is in."""
    if present.room_id == to_room_id:
        raise AlreadyInRoom("the child is already in this room", field="to_room_id")


def check_move_time(present: PresentChild, at: datetime) -> None:
    """The move comes after the child arrived in its room (a replay must not end it before)."""
    if at < present.since:
        raise InvalidValue(
            f"the move at {at.isoformat()} is before the child came to its room at"
            f" {present.since.isoformat()}",
            field="at",
        )


def destination_status(
    moved: PresentChild,
    to_room: RoomRules,
    visits: Mapping[UUID, Sequence[Visit]],
    staff_stays: Mapping[UUID, Sequence[Visit]],
    now_status: RoomStatus,
    now: datetime,
) -> RoomStatus:
    """The new room with the child in: as it is now (`now_status`), or for a move replayed
    late, as it was at the move (the others' stays then, carers within the clock skew)."""
    if not is_replayed(moved, now):
        return now_status
    others = {c: v for c, v in visits.items() if c != moved.child_id}
    return status_at(
        to_room, others, staff_stays, moved.since, moved.children_per_carer,
        staff_slack=CLOCK_SKEW,
    )  # fmt: skip


def override_needed(status: RoomStatus, override_reason: str | None, local_time: str) -> str | None:
    """The override reason to record: None when the new room takes the child anyway (nothing
    was overridden); refused by name when it does not and no admin gave a reason. A move
    leaves the institution's headcount as it was, so only the room is checked."""
    try:
        check_room_takes(status, 0, 0, local_time)
    except (RoomFull, RatioWouldBreak):
        if override_reason is None:
            raise
        return override_reason
    return None
