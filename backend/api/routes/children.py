"""Children: guardians register them (with consent), add co-guardians and pick-up adults; the
staff of an institution where a child is booked or has a regular place may read the profile
(until 30 days after its last care there), and every such read is logged for the guardians
to see."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody

from api_schema.booking import (
    ChildDetail,
    ChildView,
    ConsentNoticeView,
    DataRead,
    NewChild,
    NewGuardian,
    PickupAdultIn,
)
from api_schema.common import CommandAccepted
from api_schema.family import BlockedCollectorView, DelegateView, MedicationAuthorisationView
from backend.api.commanding import run_command, runtime
from backend.auth.access import allow, public
from backend.auth.data_access import log_child_read, reads_of
from backend.auth.principal import Principal
from backend.services import children as service
from backend.state import Runtime
from domain.account.aggregate import Role
from domain.child.aggregate import Child, ChildErased, PickupAdult, Sex, age_in_months
from domain.child.consent import NOTICES
from domain.clocks import families_today
from projections import attendance_queries, child_arrangements
from projections import children as children_model
from projections import waitlist as waitlist_model


async def guardian_of_child(principal: Principal, connection: Any, rt: Runtime) -> bool:
    child_id = connection.path_params.get("child_id")
    return isinstance(child_id, UUID) and await children_model.is_guardian(
        rt.pool, child_id, principal.account_id
    )


async def _guardian_or_booked_staff(principal: Principal, connection: Any, rt: Runtime) -> bool:
    if principal.role is Role.guardian:
        return await guardian_of_child(principal, connection, rt)
    child_id = connection.path_params.get("child_id")
    return isinstance(child_id, UUID) and await children_model.in_care_of_staff(
        rt.pool, child_id, principal.account_id, rt.clock.now()
    )


GUARDIAN_OF_CHILD = allow(
    Role.guardian, relation="a guardian of the child in the path", check=guardian_of_child
)
CHILD_READERS = allow(
    Role.guardian, Role.caregiver, Role.institution_admin,
    relation="a guardian of the child, or staff of an institution where the child holds a"
    " booking not cancelled or a regular place, until 30 days after it ends (staff reads are"
    " logged)",
    check=_guardian_or_booked_staff,
)  # fmt: skip


def child_view(row: dict[str, Any], today: Any) -> ChildView:
    return ChildView(
        id=row["id"], name=row["name"], birth_date=row["birth_date"], sex=row["sex"],
        age_months=age_in_months(row["birth_date"], today),
    )  # fmt: skip


@get("/v1/consents", tags=["children"], opt=public("the notices are shown before signing up"))
async def consent_notices() -> list[ConsentNoticeView]:
    """Each purpose a guardian consents to for a child: what is collected, why, where it is
    kept, for how long and what happens after. Registering a child records the version."""
    return [ConsentNoticeView(**vars(notice)) for notice in NOTICES.values()]


async def refuse_if_erased(rt: Runtime, child_id: UUID) -> None:
    """410 for a child whose personal data was erased (its guardians may still ask about it)."""
    if await rt.store.has_event(child_id, Child.DataErased):
        raise ChildErased("this child's personal data was erased", field="child_id")


class ChildrenController(Controller):
    path = "/v1/children"
    tags = ["children"]

    @post("/", opt=allow(Role.guardian, relation="any guardian registers their own child"))
    async def register(
        self, request: Request[Principal, Any, Any], data: JSONBody[NewChild]
    ) -> Response[CommandAccepted]:
        rt = runtime(request)
        child_id, guardian = rt.ids.new(), request.user.account_id
        return await run_command(
            request,
            lambda uow, ctx: service.register_child(
                uow,
                ctx.now,
                child_id=child_id,
                guardian_id=guardian,
                name=data.name,
                birth_date=data.birth_date,
                sex=Sex(data.sex),
                consent=data.consent_care_booking,
                today=families_today(ctx.now),
            ),  # fmt: skip
            created=True,
        )

    @get("/", opt=allow(Role.guardian, relation="the guardian's own children only"))
    async def mine(self, request: Request[Principal, Any, Any]) -> list[ChildView]:
        rt = runtime(request)
        rows = await children_model.list_for_guardian(rt.pool, request.user.account_id)
        today = families_today(rt.clock.now())
        return [child_view(r, today) for r in rows]

    @get("/{child_id:uuid}", opt=CHILD_READERS)
    async def one(
        self, request: Request[Principal, Any, Any], child_id: FromPath[UUID]
    ) -> ChildDetail:
        rt = runtime(request)
        row = await children_model.get_child(rt.pool, child_id)
        if row is None:
            await refuse_if_erased(rt, child_id)
            raise NotFoundException("no such child")
        now = rt.clock.now()
        await log_child_read(rt.pool, child_id, request.user, "child profile", now)
        adults = await children_model.pickup_adults(rt.pool, child_id)
        today = families_today(now)
        arranged = await child_arrangements.of_child(rt.pool, child_id, today)
        return ChildDetail(
            child=child_view(row, today),
            guardians=len(row["guardians"]),
            pickup_adults=[PickupAdultIn(a["name"], a["phone"], a["relation"]) for a in adults],
            delegates=[DelegateView(**d) for d in arranged["delegates"]],
            blocked_collectors=[BlockedCollectorView(**b) for b in arranged["blocked"]],
            medication_authorisations=[
                MedicationAuthorisationView(**m) for m in arranged["medication"]
            ],
        )

    @get("/{child_id:uuid}/access-log", opt=GUARDIAN_OF_CHILD)
    async def access_log(
        self, request: Request[Principal, Any, Any], child_id: FromPath[UUID]
    ) -> list[DataRead]:
        """Every read of this child's data by staff or a regulator, newest first."""
        rows = await reads_of(runtime(request).pool, child_id)
        return [DataRead(r["role"], r["display_name"], r["purpose"], r["read_at"]) for r in rows]

    @post("/{child_id:uuid}/guardians", opt=GUARDIAN_OF_CHILD)
    async def add_guardian(
        self,
        request: Request[Principal, Any, Any],
        child_id: FromPath[UUID],
        data: JSONBody[NewGuardian],
    ) -> Response[CommandAccepted]:
        by = request.user.account_id
        return await run_command(
            request,
            lambda uow, ctx: service.add_guardian(
                uow,
                ctx.now,
                child_id=child_id,
                by=by,
                phone=data.phone,
                display_name=data.display_name,
            ),  # fmt: skip
            created=True,
        )

    @post("/{child_id:uuid}/erasure", opt=GUARDIAN_OF_CHILD, status_code=200)
    async def erase(
        self, request: Request[Principal, Any, Any], child_id: FromPath[UUID]
    ) -> Response[CommandAccepted]:
        """Withdraw consent and erase the child's personal data (PIPL art. 15, 47). Refused
        (409 `child-still-in-care`) while a booking or regular place is ahead, the child is
        checked in or on a waitlist: cancel, end, collect or leave first. The events stay, but
        the child's key is destroyed: what was sealed with it (name, birth date, health
        records, pick-up adults, medication authorisations) can no longer be read, in the
        store or in backups, and the read models drop the child's profile, notices and day.
        Attendance registers keep the visits, unnamed. Later commands about the child
        answer 410 `child-erased`."""
        rt = runtime(request)
        by, now = request.user.account_id, rt.clock.now()
        today = families_today(now)
        present = await attendance_queries.is_present(rt.pool, child_id, now)
        waiting = await waitlist_model.open_entry_of_child(rt.pool, child_id, today)
        response = await run_command(
            request,
            lambda uow, ctx: service.erase_child(
                uow, ctx.now, child_id=child_id, by=by, today=today, present=present,
                waiting=waiting,
            ),
        )  # fmt: skip
        await rt.store.destroy_child_key(child_id)
        return response

    @post("/{child_id:uuid}/pickup-adults", opt=GUARDIAN_OF_CHILD)
    async def authorise_pickup(
        self,
        request: Request[Principal, Any, Any],
        child_id: FromPath[UUID],
        data: JSONBody[PickupAdultIn],
    ) -> Response[CommandAccepted]:
        by = request.user.account_id
        adult = PickupAdult(data.name, data.phone, data.relation)
        return await run_command(
            request,
            lambda uow, ctx: service.authorise_pickup(
                uow, ctx.now, child_id=child_id, by=by, adult=adult
            ),
            created=True,
        )
