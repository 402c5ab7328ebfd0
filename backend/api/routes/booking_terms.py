"""What a room offers (care types, hours, prices), its planned staff, and the refund policy."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, post, put

from api_schema.booking import (
    BookingSettingsIn,
    CareOffers,
    ClosureAccepted,
    NewClosure,
    RefundPolicyIn,
    Roster,
)
from api_schema.common import CommandAccepted
from backend.api.commanding import run_command
from backend.api.routes.institutions import ADMIN, minutes
from backend.auth.principal import Principal
from backend.services import bookings
from backend.services.institutions import accepted, administered
from domain.booking.terms import BookingSettings, CareOffer, CareType, RefundPolicy, Shift


class BookingTermsController(Controller):
    path = "/v1/institutions/{institution_id:uuid}"
    tags = ["booking terms"]

    @put("/rooms/{room_id:uuid}/offers", opt=ADMIN)
    async def offers(
        self, request: Request[Principal, Any, Any], institution_id: UUID, room_id: UUID,
        data: CareOffers,
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
        by = request.user.account_id

        async def decide(uow: Any, ctx: Any) -> CommandAccepted:
            institution = await administered(uow, institution_id, by)
            institution.publish_offers(room_id, offers, ctx.now)
            return accepted(institution)

        return await run_command(request, decide)

    @put("/rooms/{room_id:uuid}/roster", opt=ADMIN)
    async def roster(
        self, request: Request[Principal, Any, Any], institution_id: UUID, room_id: UUID,
        data: Roster,
    ) -> Response[CommandAccepted]:  # fmt: skip
        shifts = tuple(
            Shift(s.weekday, minutes(s.starts), minutes(s.ends), s.staff) for s in data.shifts
        )
        by = request.user.account_id

        async def decide(uow: Any, ctx: Any) -> CommandAccepted:
            institution = await administered(uow, institution_id, by)
            institution.plan_roster(room_id, shifts, ctx.now)
            return accepted(institution)

        return await run_command(request, decide)

    @post("/closures", opt=ADMIN)
    async def closure(
        self, request: Request[Principal, Any, Any], institution_id: UUID, data: NewClosure
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

    @put("/booking-settings", opt=ADMIN)
    async def booking_settings(
        self, request: Request[Principal, Any, Any], institution_id: UUID, data: BookingSettingsIn
    ) -> Response[CommandAccepted]:
        settings = BookingSettings(data.no_show_after_minutes, data.waitlist_offer_minutes)
        by = request.user.account_id

        async def decide(uow: Any, ctx: Any) -> CommandAccepted:
            institution = await administered(uow, institution_id, by)
            institution.change_booking_settings(settings, ctx.now)
            return accepted(institution)

        return await run_command(request, decide)

    @put("/refund-policy", opt=ADMIN)
    async def refund_policy(
        self, request: Request[Principal, Any, Any], institution_id: UUID, data: RefundPolicyIn
    ) -> Response[CommandAccepted]:
        policy = RefundPolicy(data.full_refund_hours_before, data.late_refund_percent)
        by = request.user.account_id

        async def decide(uow: Any, ctx: Any) -> CommandAccepted:
            institution = await administered(uow, institution_id, by)
            institution.publish_refund_policy(policy, ctx.now)
            return accepted(institution)

        return await run_command(request, decide)
