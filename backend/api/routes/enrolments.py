"""Regular places: a guardian enrols a child on set weekdays for a term; either side may end it."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody

from api_schema.common import CommandAccepted
from api_schema.enrolments import EndEnrolment, EndingPreview, EnrolmentView, NewEnrolment
from backend.api.commanding import run_command, runtime
from backend.api.routes.institutions import STAFF, minutes
from backend.auth.access import allow
from backend.auth.principal import Principal
from backend.services import enrolments as service
from backend.unit_of_work import UnitOfWork
from domain.account.aggregate import Role
from domain.booking.terms import CARE_TYPE_CHINESE, CareType
from domain.institution.values import hhmm
from projections import enrolments as enrolments_model


def enrolment_view(row: dict[str, Any]) -> EnrolmentView:
    return EnrolmentView(
        id=row["id"], child_id=row["child_id"], institution_id=row["institution_id"],
        room_id=row["room_id"], care_type=row["care_type"],
        care_type_zh=CARE_TYPE_CHINESE[CareType(row["care_type"])], weekdays=row["weekdays"],
        first_day=row["first_day"], last_day=row["last_day"], start=hhmm(row["start_min"]),
        end=hhmm(row["end_min"]), price_fen=row["price_fen"], refund_fen=row["refund_fen"],
    )  # fmt: skip


END_ENROLMENT = allow(
    Role.guardian, Role.institution_admin,
    relation="a guardian of the child or an admin of the institution (checked on them)",
)  # fmt: skip


async def _enrolment_row(pool: asyncpg.Pool, enrolment_id: UUID) -> dict[str, Any]:
    row = await enrolments_model.get_enrolment(pool, enrolment_id)
    if row is None:
        raise NotFoundException(f"enrolment {enrolment_id} not found")
    return row


class EnrolmentsController(Controller):
    path = "/v1/enrolments"
    tags = ["enrolments"]

    @post("/", opt=allow(Role.guardian, relation="a guardian of the child (checked on the child)"))
    async def enrol(
        self, request: Request[Principal, Any, Any], data: JSONBody[NewEnrolment]
    ) -> Response[CommandAccepted]:
        enrolment = service.EnrolmentRequest(
            enrolment_id=runtime(request).ids.new(), guardian_id=request.user.account_id,
            child_id=data.child_id, institution_id=data.institution_id, room_id=data.room_id,
            care_type=CareType(data.care_type), weekdays=tuple(data.weekdays),
            first_day=data.first_day, last_day=data.last_day, start=minutes(data.start),
            end=minutes(data.end),
        )  # fmt: skip
        return await run_command(
            request, lambda uow, ctx: service.enrol(uow, ctx.now, enrolment), created=True
        )

    @get("/", opt=allow(Role.guardian, relation="enrolments of the guardian's own children"))
    async def mine(self, request: Request[Principal, Any, Any]) -> list[EnrolmentView]:
        rows = await enrolments_model.for_guardian(runtime(request).pool, request.user.account_id)
        return [enrolment_view(r) for r in rows]

    @get("/{enrolment_id:uuid}/end-preview", opt=END_ENROLMENT)
    async def end_preview(
        self, request: Request[Principal, Any, Any], enrolment_id: FromPath[UUID],
        last_day: FromQuery[date],
    ) -> EndingPreview:  # fmt: skip
        """What ending the term on `last_day` now would refund (a guardian: under the policy
        published when enrolled; an admin: in full), decided as `/end` would, nothing written."""
        rt = runtime(request)
        row = await _enrolment_row(rt.pool, enrolment_id)
        ending, rule = await service.ending_preview(
            UnitOfWork(rt.store), rt.clock.now(), room_id=row["room_id"],
            enrolment_id=enrolment_id, last_day=last_day, by=request.user.account_id,
        )  # fmt: skip
        return EndingPreview(enrolment_id, last_day, ending.enrolment.price_fen,
                             len(ending.days_given_up), ending.refund_fen, rule)  # fmt: skip

    @post("/{enrolment_id:uuid}/end", opt=END_ENROLMENT, status_code=200)
    async def end(
        self,
        request: Request[Principal, Any, Any],
        enrolment_id: FromPath[UUID],
        data: JSONBody[EndEnrolment],
    ) -> Response[CommandAccepted]:
        row = await _enrolment_row(runtime(request).pool, enrolment_id)
        by = request.user.account_id
        return await run_command(
            request,
            lambda uow, ctx: service.end_enrolment(
                uow,
                ctx.now,
                room_id=row["room_id"],
                enrolment_id=enrolment_id,
                last_day=data.last_day,
                by=by,
            ),  # fmt: skip
        )


@get(
    "/v1/institutions/{institution_id:uuid}/enrolments",
    tags=["enrolments"],
    opt=STAFF,
)
async def institution_enrolments(
    request: Request[Principal, Any, Any], institution_id: FromPath[UUID], on: FromQuery[date]
) -> list[EnrolmentView]:
    """Enrolments still running on `on` (a local date) or later."""
    rows = await enrolments_model.for_institution(runtime(request).pool, institution_id, on)
    return [enrolment_view(r) for r in rows]
