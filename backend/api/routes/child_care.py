"""A child's attendance side: the rotating drop-off/pick-up code, health records, one-day
delegates, the "must not collect" list, medication authorisations, and the child's day."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody

from api_schema.attendance import (
    AttendanceCode,
    BlockedCollectorIn,
    ChildDay,
    ChildDayEntry,
    DelegateIn,
    HealthRecordIn,
    MedicationAuthorisationIn,
)
from api_schema.common import CommandAccepted
from backend.api.commanding import run_command, runtime
from backend.api.routes.children import GUARDIAN_OF_CHILD, guardian_of_child, refuse_if_erased
from backend.auth import attendance_codes
from backend.auth.access import allow
from backend.auth.data_access import log_child_read
from backend.auth.principal import Principal
from backend.services import children as service
from backend.state import Runtime
from domain.account.aggregate import Role
from domain.child.care import BlockedCollector, Delegate, HealthRecord, HealthRecordKind
from domain.child.medication import MedicationAuthorisation
from domain.clocks import FAMILIES_TIMEZONE, families_today
from domain.institution.values import local_hhmm
from projections import attendance_queries
from projections import children as children_model
from projections.children import STAFF_ACCESS_AFTER_CARE


async def _staff_caring_for_child(principal: Principal, connection: Any, rt: Runtime) -> bool:
    """Staff of an institution where the child is booked or has a regular place."""
    child_id = connection.path_params.get("child_id")
    return isinstance(child_id, UUID) and await children_model.in_care_of_staff(
        rt.pool, child_id, principal.account_id, rt.clock.now()
    )


async def _guardian_or_staff_of_that_day(
    principal: Principal, connection: Any, rt: Runtime
) -> bool:
    if principal.role is Role.guardian:
        return await guardian_of_child(principal, connection, rt)
    day = connection.path_params.get("day")
    if not isinstance(day, date) or day < families_today(rt.clock.now()) - STAFF_ACCESS_AFTER_CARE:
        return False  # as with the profile: 30 days after the care ended (ADR 0020)
    attended = await attendance_queries.institutions_attended(
        rt.pool, connection.path_params.get("child_id"), day
    )
    if not attended:
        return False
    found = await rt.pool.fetchval(
        "SELECT EXISTS (SELECT 1 FROM rm_institution_staff WHERE account_id = $1"
        " AND institution_id = ANY($2::uuid[]))",
        principal.account_id,
        attended,
    )
    return bool(found)


STAFF_CARING = allow(
    Role.caregiver, Role.institution_admin,
    relation="staff of an institution where the child holds a booking not cancelled or a"
    " regular place, until 30 days after it ends",
    check=_staff_caring_for_child,
)  # fmt: skip
DAY_READERS = allow(
    Role.guardian, Role.caregiver, Role.institution_admin,
    relation="a guardian of the child (the whole day), or staff of an institution the child"
    " attended that day, until 30 days after it (only what happened there; staff reads are"
    " logged)",
    check=_guardian_or_staff_of_that_day,
)  # fmt: skip


class ChildCareController(Controller):
    path = "/v1/children/{child_id:uuid}"
    tags = ["children", "attendance"]

    @get("/attendance-code", opt=GUARDIAN_OF_CHILD)
    async def attendance_code(
        self, request: Request[Principal, Any, Any], child_id: FromPath[UUID]
    ) -> AttendanceCode:
        """The rotating one-time code (and QR text) the guardian shows at drop-off and pick-up;
        a fresh one every 2 minutes, each accepted once, for at most 4 minutes."""
        rt = runtime(request)
        await refuse_if_erased(rt, child_id)
        shown = attendance_codes.code_for(rt.settings.jwt_secret, child_id, rt.clock.now())
        return AttendanceCode(shown.code, shown.qr, shown.valid_until)

    @post("/health-records", opt=STAFF_CARING)
    async def health_record(
        self,
        request: Request[Principal, Any, Any],
        child_id: FromPath[UUID],
        data: JSONBody[HealthRecordIn],
    ) -> Response[CommandAccepted]:
        """The admission check (入托体检, vaccination record checked) or a re-examination."""
        record = HealthRecord(
            HealthRecordKind(data.kind), data.examined_on, data.passed, data.vaccination_checked,
            request.user.account_id, data.note,
        )  # fmt: skip
        return await run_command(
            request,
            lambda uow, ctx: service.record_health(
                uow, ctx.now, child_id=child_id, record=record, today=families_today(ctx.now)
            ),
            created=True,
        )

    @post("/delegates", opt=GUARDIAN_OF_CHILD)
    async def delegate(
        self,
        request: Request[Principal, Any, Any],
        child_id: FromPath[UUID],
        data: JSONBody[DelegateIn],
    ) -> Response[CommandAccepted]:
        """Name an adult who may collect the child on one day only."""
        by = request.user.account_id
        named = Delegate(data.name, data.phone, data.day)
        return await run_command(
            request,
            lambda uow, ctx: service.delegate_pickup(
                uow,
                ctx.now,
                child_id=child_id,
                by=by,
                delegate=named,
                today=families_today(ctx.now),
            ),  # fmt: skip
            created=True,
        )

    @post("/blocked-collectors", opt=GUARDIAN_OF_CHILD)
    async def block(
        self,
        request: Request[Principal, Any, Any],
        child_id: FromPath[UUID],
        data: JSONBody[BlockedCollectorIn],
    ) -> Response[CommandAccepted]:
        """Put a person on the "must not collect" list; staff refuse them at pick-up."""
        by = request.user.account_id
        person = BlockedCollector(data.name, data.phone, data.reason)
        return await run_command(
            request,
            lambda uow, ctx: service.block_collector(
                uow, ctx.now, child_id=child_id, by=by, person=person
            ),
            created=True,
        )

    @post("/medication-authorisations", opt=GUARDIAN_OF_CHILD)
    async def authorise_medication(
        self,
        request: Request[Principal, Any, Any],
        child_id: FromPath[UUID],
        data: JSONBody[MedicationAuthorisationIn],
    ) -> Response[CommandAccepted]:
        """Authorise a medicine for some days; carers log each dose against it."""
        rt, by = runtime(request), request.user.account_id
        authorisation = MedicationAuthorisation(
            rt.ids.new(), data.medicine, data.dose, data.max_doses_per_day, data.first_day,
            data.last_day, by, data.instructions,
        )  # fmt: skip
        return await run_command(
            request,
            lambda uow, ctx: service.authorise_medication(
                uow, ctx.now, child_id=child_id, by=by, authorisation=authorisation
            ),
            created=True,
        )

    @get("/days/{day:date}", opt=DAY_READERS)
    async def day(
        self, request: Request[Principal, Any, Any], child_id: FromPath[UUID], day: FromPath[date]
    ) -> ChildDay:
        """The child's day as it happens: arrival and its check, meals, naps, care, incidents,
        departure, in the institution's local time, ordered by when they happened."""
        rt = runtime(request)
        staff_of = None if request.user.role is Role.guardian else request.user.account_id
        rows = await attendance_queries.child_day(rt.pool, child_id, day, staff_of)
        await log_child_read(rt.pool, child_id, request.user, "child's day", rt.clock.now())
        zone = rows[0]["timezone"] if rows else FAMILIES_TIMEZONE
        entries = [
            ChildDayEntry(local_hhmm(r["at"], r["timezone"]), r["at"], r["kind"], r["title"],
                          r["detail"], r["by_name"])
            for r in rows
        ]  # fmt: skip
        return ChildDay(child_id=child_id, date=day, timezone=zone, entries=entries)
