"""What a room offers (care types, hours, prices), its planned staff, the refund policy, closures
and the institution's booking and attendance settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, JSONBody

from api_schema.booking import (
    BookingSettingsBody,
    CareOffers,
    ClosureAccepted,
    NewClosure,
    RefundPolicyIn,
    Roster,
)
from api_schema.common import CommandAccepted
from backend.api.commanding import run_command, runtime
from backend.api.routes.institutions import ADMIN, STAFF, minutes
from backend.auth.principal import Principal
from backend.commands import CommandContext
from backend.services import bookings
from backend.services.institutions import accepted, administered
from backend.unit_of_work import UnitOfWork
from domain.booking.terms import BookingSettings, CareOffer, CareType, RefundPolicy, Shift
from domain.institution.aggregate import Institution
from projections import institution_queries


async def _change(
    request: Request[Principal, Any, Any],
    institution_id: UUID,
    change: Callable[[Institution, datetime], None],
) -> Response[CommandAccepted]:
    """An admin changes the institution's booking terms (the admin checked on the aggregate)."""
    by = request.user.account_id

    async def decide(uow: UnitOfWork, ctx: CommandContext) -> CommandAccepted:
        institution = await administered(uow, institution_id, by)
        change(institution, ctx.now)
        return accepted(institution)

    return await run_command(request, decide)


class BookingTermsController(Controller):
    path = "/v1/institutions/{institution_id:uuid}"
    tags = ["booking terms"]

    @put("/rooms/{room_id:uuid}/offers", opt=ADMIN)
    async def offers(
        self, request: Request[Principal, Any, Any], institution_id: FromPath[UUID], room_id: FromPath[UUID],
        data: JSONBody[CareOffers],
    ) -> Response[CommandAccepted]:  # fmt: skip
        offers = tuple(
            CareOffer(
                CareType(o.care_type),
                tuple(o.weekdays),
                minutes(o.opens),
                minutes(o.closes),
                o.price_fen,
                o.pricing,
                o.min_notice_minutes,
                o.max_minutes_per_visit,
                o.max_minutes_per_day,
            )  # fmt: skip
            for o in data.offers
        )
        return await _change(
            request, institution_id, lambda inst, now: inst.publish_offers(room_id, offers, now)
        )

    @put("/rooms/{room_id:uuid}/roster", opt=ADMIN)
    async def roster(
        self, request: Request[Principal, Any, Any], institution_id: FromPath[UUID], room_id: FromPath[UUID],
        data: JSONBody[Roster],
    ) -> Response[CommandAccepted]:  # fmt: skip
        shifts = tuple(
            Shift(s.weekday, minutes(s.starts), minutes(s.ends), s.staff) for s in data.shifts
        )
        return await _change(
            request, institution_id, lambda inst, now: inst.plan_roster(room_id, shifts, now)
        )

    @post("/closures", opt=ADMIN)
    async def closure(
        self,
        request: Request[Principal, Any, Any],
        institution_id: FromPath[UUID],
        data: JSONBody[NewClosure],
    ) -> Response[ClosureAccepted]:
        """Close a room, or with no room_id the whole institution, for a day; bookings made
        for it are cancelled with a full refund and the reason."""
        by = request.user.account_id
        return await run_command(
            request,
            lambda uow, ctx: bookings.announce_closure(
                uow,
                ctx.now,
                institution_id=institution_id,
                day=data.date,
                room_id=data.room_id,
                reason=data.reason,
                by=by,
            ),  # fmt: skip
            created=True,
            result_type=ClosureAccepted,
        )

    @get("/booking-settings", opt=STAFF)
    async def current_booking_settings(
        self, request: Request[Principal, Any, Any], institution_id: FromPath[UUID]
    ) -> BookingSettingsBody:
        """The settings in force: as the admin last set them, else the defaults."""
        settings = await institution_queries.booking_settings(runtime(request).pool, institution_id)
        return BookingSettingsBody(**msgspec.structs.asdict(settings))

    @put("/booking-settings", opt=ADMIN)
    async def booking_settings(
        self,
        request: Request[Principal, Any, Any],
        institution_id: FromPath[UUID],
        data: JSONBody[BookingSettingsBody],
    ) -> Response[CommandAccepted]:
        settings = BookingSettings(**msgspec.structs.asdict(data))
        return await _change(
            request, institution_id, lambda inst, now: inst.change_booking_settings(settings, now)
        )

    @put("/refund-policy", opt=ADMIN)
    async def refund_policy(
        self,
        request: Request[Principal, Any, Any],
        institution_id: FromPath[UUID],
        data: JSONBody[RefundPolicyIn],
    ) -> Response[CommandAccepted]:
        policy = RefundPolicy(data.full_refund_hours_before, data.late_refund_percent)
        return await _change(
            request, institution_id, lambda inst, now: inst.publish_refund_policy(policy, now)
        )
