"""The audit trail of an institution's attendance: every check-in an admin let past the room's
class size or staff ratio, and every correction of the register, with who, when and why.

Who may call: admins of the institution in the path (checked on the staff read model);
caregivers, guardians, regulators and other institutions' admins are refused. Each child
named is logged in that child's access log, as the register's reads are.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from litestar import Request, get
from litestar.params import FromPath, FromQuery

from api_schema.attendance import AuditEntry
from backend.api.commanding import runtime
from backend.api.routes.attendance_register import ERASED
from backend.api.routes.institutions import ADMIN
from backend.auth.data_access import log_child_read
from backend.auth.principal import Principal
from domain.errors import InvalidValue
from domain.institution.values import local_hhmm
from projections import attendance_queries

LONGEST_RANGE = timedelta(days=92)
KIND_CHINESE = {
    "ratio_override": "超额入园", "register_correction": "考勤更正", "move_override": "超额转班",
}  # fmt: skip


@get("/v1/institutions/{institution_id:uuid}/attendance/audit", tags=["attendance"], opt=ADMIN)
async def attendance_audit(
    request: Request[Principal, Any, Any],
    institution_id: FromPath[UUID],
    since: FromQuery[date],
    until: FromQuery[date | None] = None,
) -> list[AuditEntry]:
    """Overrides and corrections from `since` to `until` (both local days, inclusive; `until`
    defaults to `since`, at most 92 days later), in order of when they happened."""
    last = until or since
    if last < since:
        raise InvalidValue("until must not be before since", field="until")
    if last - since > LONGEST_RANGE:
        raise InvalidValue("at most 92 days at once", field="until")
    rt = runtime(request)
    rows = await attendance_queries.audit(rt.pool, institution_id, since, last)
    now = rt.clock.now()
    for child_id in dict.fromkeys(r["child_id"] for r in rows):
        await log_child_read(rt.pool, child_id, request.user, "attendance audit", now)
    return [
        AuditEntry(
            date=r["day"],
            time=local_hhmm(r["at"], r["timezone"]),
            at=r["at"],
            recorded_at=r["recorded_at"],
            kind=r["kind"],
            kind_zh=KIND_CHINESE[r["kind"]],
            by=r["actor_name"],
            child_id=r["child_id"],
            child=r["child_name"] or ERASED,
            room=r["room_name"],
            detail=r["detail"],
        )
        for r in rows
    ]
