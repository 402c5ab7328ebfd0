"""An admin puts the attendance register right after the fact: a visit the tablets never sent
(a paper sign-in sheet, a device lost or offline for more than 24 h) or a wrong time.

Who may call: institution admins; that the caller is an admin of the institution in the path
is checked on the institution aggregate inside the command (caregivers, guardians, regulators
and admins of other institutions are refused). Honours `Idempotency-Key` like every command.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, post
from litestar.params import FromPath, JSONBody

from api_schema.attendance import VisitCorrectionRequest
from api_schema.common import CommandAccepted
from backend.api.commanding import run_command, runtime
from backend.api.routes.attendance import institution_zone
from backend.auth.access import allow
from backend.auth.principal import Principal
from backend.services import register_corrections as service
from domain.account.aggregate import Role
from domain.attendance.corrections import VisitCorrection
from domain.attendance.day import attendance_day_id
from projections.booking_queries import had_care_in_room

ADMIN_OF_INSTITUTION = allow(
    Role.institution_admin,
    relation="an admin of the institution in the path (checked on the institution aggregate)",
)


@post(
    "/v1/institutions/{institution_id:uuid}/attendance/corrections",
    tags=["attendance"],
    opt=ADMIN_OF_INSTITUTION,
)
async def correct_register(
    request: Request[Principal, Any, Any],
    institution_id: FromPath[UUID],
    data: JSONBody[VisitCorrectionRequest],
) -> Response[CommandAccepted]:
    """Add a missed visit (`arrived_at` and `left_at`, no `replaces`), or give the visit that
    arrived at `replaces` new times (a child still here: its arrival only). The reason is
    shown in the register, its CSV export and the child's day; class size and ratio are not
    checked again (a correction records what happened). For a child whose data was erased the
    reason is required but not recorded ("" everywhere), and no visit is added (410)."""
    rt = runtime(request)
    zone = await institution_zone(rt, institution_id)
    correction = VisitCorrection(
        child_id=data.child_id, room_id=data.room_id, arrived=data.arrived_at, left=data.left_at,
        replaces=data.replaces, reason=data.reason.strip(), by=request.user.account_id,
    )  # fmt: skip
    day = service.correction_day(correction, zone)
    cared_for = data.replaces is not None or await had_care_in_room(
        rt.pool, data.child_id, data.room_id, day
    )
    return await run_command(
        request,
        lambda uow, ctx: service.correct_visit(
            uow,
            ctx.now,
            institution_id=institution_id,
            correction=correction,
            had_care_in_room=cared_for,
        ),  # fmt: skip
        created=True,
        lane=[attendance_day_id(institution_id, day)],
    )
