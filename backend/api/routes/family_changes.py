"""A guardian changes what they arranged for a child: the profile corrected, a standing
pick-up adult or a one-day delegate withdrawn, a "must not collect" block lifted, a medication
authorisation withdrawn. Only a guardian of the child; people are named by phone in the body,
never in the path (paths are logged)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, post, put
from litestar.params import FromPath, JSONBody

from api_schema.common import CommandAccepted
from api_schema.family import ChildProfileIn, DelegateWithdrawal, PersonByPhone
from backend.api.commanding import run_command
from backend.api.routes.children import GUARDIAN_OF_CHILD
from backend.auth.principal import Principal
from backend.services import children as service
from domain.child.aggregate import Sex
from domain.clocks import families_today


class FamilyChangesController(Controller):
    path = "/v1/children/{child_id:uuid}"
    tags = ["children"]

    @put("/profile", opt=GUARDIAN_OF_CHILD)
    async def correct_profile(
        self,
        request: Request[Principal, Any, Any],
        child_id: FromPath[UUID],
        data: JSONBody[ChildProfileIn],
    ) -> Response[CommandAccepted]:
        """Correct the child's name, birth date or sex (a typo at registration), under
        registration's rules on the day it was registered. Bookings and regular places
        already made stand; every later decision (a booking's or a room's age rules, the
        ratio a check-in needs) uses the corrected birth date. The same profile again records
        nothing."""
        by = request.user.account_id
        return await run_command(
            request,
            lambda uow, ctx: service.correct_profile(
                uow, ctx.now, child_id=child_id, by=by, name=data.name,
                birth_date=data.birth_date, sex=Sex(data.sex),
            ),
        )  # fmt: skip

    @post("/pickup-adults/withdraw", opt=GUARDIAN_OF_CHILD, status_code=200)
    async def withdraw_pickup_adult(
        self,
        request: Request[Principal, Any, Any],
        child_id: FromPath[UUID],
        data: JSONBody[PersonByPhone],
    ) -> Response[CommandAccepted]:
        """The adult may no longer collect the child; not blocked: may be authorised again.
        `404 pickup-adult-not-found` if the phone is no standing pick-up adult's."""
        by = request.user.account_id
        return await run_command(
            request,
            lambda uow, ctx: service.withdraw_pickup_adult(
                uow, ctx.now, child_id=child_id, by=by, phone=data.phone
            ),
        )

    @post("/delegates/withdraw", opt=GUARDIAN_OF_CHILD, status_code=200)
    async def withdraw_delegate(
        self,
        request: Request[Principal, Any, Any],
        child_id: FromPath[UUID],
        data: JSONBody[DelegateWithdrawal],
    ) -> Response[CommandAccepted]:
        """The delegate named for `day` (today or later) may no longer collect the child
        then. `404 delegate-not-found` if nobody with that phone is named for that day."""
        by = request.user.account_id
        return await run_command(
            request,
            lambda uow, ctx: service.withdraw_delegate(
                uow, ctx.now, child_id=child_id, by=by, phone=data.phone, day=data.day,
                today=families_today(ctx.now),
            ),
        )  # fmt: skip

    @post("/blocked-collectors/lift", opt=GUARDIAN_OF_CHILD, status_code=200)
    async def lift_block(
        self,
        request: Request[Principal, Any, Any],
        child_id: FromPath[UUID],
        data: JSONBody[PersonByPhone],
    ) -> Response[CommandAccepted]:
        """Take the person off the "must not collect" list; they are not thereby authorised
        (a guardian may authorise them afterwards). `404 collector-not-blocked` if not on it."""
        by = request.user.account_id
        return await run_command(
            request,
            lambda uow, ctx: service.lift_block(
                uow, ctx.now, child_id=child_id, by=by, phone=data.phone
            ),
        )

    @post(
        "/medication-authorisations/{authorisation_id:uuid}/withdraw",
        opt=GUARDIAN_OF_CHILD, status_code=200,
    )  # fmt: skip
    async def withdraw_medication(
        self,
        request: Request[Principal, Any, Any],
        child_id: FromPath[UUID],
        authorisation_id: FromPath[UUID],
    ) -> Response[CommandAccepted]:
        """No dose given from now on is accepted against it (`409 medication-withdrawn`); a
        dose a tablet logged before the withdrawal (its `at`) and sends later still stands.
        `404 medication-authorisation-not-found` for an id not of this child; withdrawn
        already: `409 medication-withdrawn`."""
        by = request.user.account_id
        return await run_command(
            request,
            lambda uow, ctx: service.withdraw_medication(
                uow, ctx.now, child_id=child_id, by=by, authorisation_id=authorisation_id
            ),
        )
