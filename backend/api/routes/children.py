"""Children: a guardian registers a child (with consent) and sees their own children."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException

from api_schema.booking import ChildView, NewChild
from api_schema.common import CommandAccepted
from backend.api.commanding import run_command, runtime
from backend.auth.access import allow
from backend.auth.principal import Principal
from backend.services import children as service
from domain.account.aggregate import Role
from domain.child.aggregate import Sex, age_in_months
from projections import children as children_model


async def _guardian_of_child(principal: Principal, connection: Any, rt: Any) -> bool:
    child_id = connection.path_params.get("child_id")
    return isinstance(child_id, UUID) and await children_model.is_guardian(
        rt.pool, child_id, principal.account_id
    )


GUARDIAN_OF_CHILD = allow(
    Role.guardian, relation="a guardian of the child in the path", check=_guardian_of_child
)


def child_view(row: dict[str, Any], today: Any) -> ChildView:
    return ChildView(
        id=row["id"], name=row["name"], birth_date=row["birth_date"], sex=row["sex"],
        age_months=age_in_months(row["birth_date"], today),
    )  # fmt: skip


class ChildrenController(Controller):
    path = "/v1/children"
    tags = ["children"]

    @post("/", opt=allow(Role.guardian, relation="any guardian registers their own child"))
    async def register(
        self, request: Request[Principal, Any, Any], data: NewChild
    ) -> Response[CommandAccepted]:
        rt = runtime(request)
        child_id, guardian = rt.ids.new(), request.user.account_id
        today = rt.clock.now().date()
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
                today=today,
            ),  # fmt: skip
            created=True,
        )

    @get("/", opt=allow(Role.guardian, relation="the guardian's own children only"))
    async def mine(self, request: Request[Principal, Any, Any]) -> list[ChildView]:
        rt = runtime(request)
        rows = await children_model.list_for_guardian(rt.pool, request.user.account_id)
        today = rt.clock.now().date()
        return [child_view(r, today) for r in rows]

    @get("/{child_id:uuid}", opt=GUARDIAN_OF_CHILD)
    async def one(self, request: Request[Principal, Any, Any], child_id: UUID) -> ChildView:
        rt = runtime(request)
        row = await children_model.get_child(rt.pool, child_id)
        if row is None:
            raise NotFoundException("no such child")
        return child_view(row, rt.clock.now().date())
