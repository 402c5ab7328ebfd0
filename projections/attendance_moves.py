"""How the attendance read model records a child's move between rooms (转班,
AttendanceDay.ChildMovedRoom): the register's row of the old room ends at the move, marked as
a move and not a pick-up, a row of the new room begins at it (no morning check of its own),
and the child's day says where the child went. The live place, the nap and the feed row are
written by `projections.attendance` with its other statements."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.attendance.room_moves import RoomMove
from domain.institution.values import local_hhmm

ROOM_MOVE = "room_move"  # the register's method, relation and identity check of a move
MOVED_IN_CHECK = "转班，晨检见原班级"  # no morning check is repeated: see the old room's row

# The old room's open row ends at the move; its "collector" says where the child went.
REGISTER_MOVED_OUT = (
    "UPDATE rm_attendance_register SET out_at = $3, out_by = $4, collector = $5,"
    f" relation = '{ROOM_MOVE}', identity_check = '{ROOM_MOVE}' WHERE day_id = $1"
    " AND child_id = $2 AND room_id = $6 AND status = 'checked_in' AND out_at IS NULL"
)


def moved_out_args(day_id: UUID, move: RoomMove) -> tuple[Any, ...]:
    """Arguments of REGISTER_MOVED_OUT."""
    c = move.child
    return day_id, c.child_id, c.since, move.by, f"转到{move.to_room_name}", move.from_room_id


def moved_in_args(position: int, day_id: UUID, move: RoomMove) -> tuple[Any, ...]:
    """Arguments of the register's arrival INSERT (`_REGISTER_IN`) for the new room's row."""
    c = move.child
    return (
        position, day_id, c.room_id, c.child_id, "checked_in", c.since, move.by, ROOM_MOVE, None,
        MOVED_IN_CHECK, f"从{move.from_room_name}转入", move.override_reason, "",
    )  # fmt: skip  # no morning check here: no observations


def move_texts(move: RoomMove, zone: str) -> tuple[str, str]:
    """Title and detail of the child's day line: "转到<room> HH:MM", in local time."""
    return "转班", f"转到{move.to_room_name} {local_hhmm(move.at, zone)}"
