"""How the attendance read model records an admin's correction of the register
(AttendanceDay.VisitCorrected, domain/attendance/corrections.py): a visit added afterwards is a
register row of its own, with the admin standing for both ends; a visit put right has its row's
times replaced, and the live place's `since` too while the child is still here. The child's
day line, the feed row and the audit row are written by `projections.attendance` with its
other statements."""

from __future__ import annotations

from uuid import UUID

from domain.attendance.corrections import VisitCorrection
from projections.writes import Statement

# A visit an admin added afterwards: no door check was recorded, the admin stands for both ends.
_REGISTER_ADDED = (
    "INSERT INTO rm_attendance_register VALUES ($1, $2, $3, $4, 'checked_in', $5, $6,"
    " 'correction', NULL, '', '', NULL, $7, $6, NULL, NULL, NULL, $6, $8) ON CONFLICT DO NOTHING"
)
_REGISTER_CORRECTED = (
    "UPDATE rm_attendance_register SET room_id = $3, in_at = $5, out_at = coalesce($6, out_at),"
    " corrected_by = $7, correction_reason = $8 WHERE day_id = $1 AND child_id = $2"
    " AND status = 'checked_in' AND in_at = $4"
)
_LIVE_SINCE_CORRECTED = (
    "UPDATE rm_live_children SET since = $4 WHERE day_id = $1 AND child_id = $2 AND since = $3"
)


def register_corrected(position: int, day_id: UUID, fix: VisitCorrection) -> Statement:
    """The register's statement: a row added (`fix.replaces` is None) or a row's times put right."""
    if fix.replaces is None:
        return _REGISTER_ADDED, (position, day_id, fix.room_id, fix.child_id, fix.arrived,
                                 fix.by, fix.left, fix.reason)  # fmt: skip
    return _REGISTER_CORRECTED, (day_id, fix.child_id, fix.room_id, fix.replaces, fix.arrived,
                                 fix.left, fix.by, fix.reason)  # fmt: skip


def live_since_corrected(day_id: UUID, fix: VisitCorrection) -> Statement:
    """The live place's `since`, where it was the arrival the correction replaces."""
    return _LIVE_SINCE_CORRECTED, (day_id, fix.child_id, fix.replaces, fix.arrived)
