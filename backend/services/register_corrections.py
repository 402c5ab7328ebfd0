"""An institution admin corrects the attendance register after the fact (see
domain/attendance/corrections.py): a missed visit added, or a visit's times put right.

The admin is checked on the institution aggregate; the room must be the institution's; a
visit is added only for a child who had a booking or a regular place in that room that day
(read from the read models before the command: a past day's care no longer changes). A
register reaches back CORRECTIONS_REACH_BACK days; older registers stay as they were filed.
A visit of a child whose data was erased is still put right, without recording the reason
(domain/attendance/corrections.py); one is no longer added for it (410 `child-erased`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

from litestar.exceptions import PermissionDeniedException

from api_schema.common import CommandAccepted
from backend.services.attendance import attendance_day, local_moment, staffed_institution
from backend.unit_of_work import UnitOfWork
from domain.attendance.corrections import VisitCorrection
from domain.child.aggregate import Child
from domain.errors import InvalidValue, RuleViolated
from domain.institution.kinds import StaffRole

CORRECTIONS_REACH_BACK = timedelta(days=90)


class RegisterClosed(RuleViolated):
    code = "register-closed"


class NoCareThatDay(RuleViolated):
    code = "no-care-that-day"


def correction_day(correction: VisitCorrection, timezone: str) -> date:
    """The register corrected: the local day of the visit replaced, else of the arrival."""
    if correction.replaces is not None:
        return local_moment(correction.replaces, timezone, "replaces")[0]
    return local_moment(correction.arrived, timezone, "arrived_at")[0]


async def correct_visit(
    uow: UnitOfWork,
    now: datetime,
    *,
    institution_id: UUID,
    correction: VisitCorrection,
    had_care_in_room: bool,
) -> CommandAccepted:
    institution, role = await staffed_institution(uow, institution_id, correction.by)
    if role is not StaffRole.institution_admin:
        raise PermissionDeniedException("only an admin of this institution corrects the register")
    institution.require_room(correction.room_id)
    day = correction_day(correction, institution.timezone)
    today = local_moment(now, institution.timezone)[0]
    if day > today:
        raise InvalidValue("the day is in the future", field="arrived_at")
    if day < today - CORRECTIONS_REACH_BACK:
        raise RegisterClosed(
            f"registers more than {CORRECTIONS_REACH_BACK.days} days old are closed to corrections",
            field="arrived_at",
        )
    if correction.replaces is None and not had_care_in_room:
        raise NoCareThatDay(
            f"the child had no booking or regular place in this room on {day}", field="child_id"
        )
    register = await attendance_day(uow, institution, day, now)
    # Read for its version too: an erasure committed meanwhile makes this append conflict, and
    # the retry records no reason, so none about an erased child reaches the day's stream.
    child = await uow.find(Child, correction.child_id)
    erased = child is not None and child.erased_at is not None
    register.correct_visit(correction, now, child_erased=erased)
    if correction.replaces is None:  # a visit the register missed is a day the child attended
        child = await uow.get(Child, correction.child_id, "child")  # refused once erased (410)
        child.note_attended(day, now)  # (else it could seem away long enough to re-examine)
    return CommandAccepted(id=correction.child_id, version=register.version)
