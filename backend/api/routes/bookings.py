"""Bookings: a guardian books care for their child, sees it, cancels it under the published rule."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody

from api_schema.booking import (
    BookingAccepted,
    BookingCancelled,
    BookingPage,
    BookingView,
    CancelBooking,
    NewBooking,
    RefundPreview,
    StatusChange,
)
from backend.api.commanding import run_command, runtime
from backend.api.paging import PageLimit, PageOffset
from backend.api.routes.institutions import STAFF, minutes
from backend.auth.access import allow, staff_role
from backend.auth.principal import Principal
from backend.services import bookings as service
from backend.state import Runtime
from domain.account.aggregate import Role
from domain.booking.room_day import room_day_id
from domain.booking.terms import CARE_TYPE_CHINESE, CareType, RefundPolicy, may_cancel, refund_fen
from domain.institution.kinds import StaffRole
from domain.institution.values import hhmm
from projections import booking_queries
from projections import children as children_model


async def _may_see_booking(principal: Principal, connection: Any, rt: Runtime) -> bool:
    """A guardian of the booking's child, or staff of the booking's institution."""
    booking_id = connection.path_params.get("booking_id")
    row = await booking_queries.get_booking(rt.pool, booking_id) if booking_id else None
    if row is None:
        return True  # the handler answers 404; nothing about the booking is revealed
    if principal.role is Role.guardian:
        return await children_model.is_guardian(rt.pool, row["child_id"], principal.account_id)
    role = await staff_role(rt, row["institution_id"], principal.account_id)
    return role is not None and (principal.role is not Role.caregiver or role == "caregiver")


async def cancels_as(principal: Principal, row: dict[str, Any], rt: Runtime) -> str | None:
    """Whom the caller would cancel the booking as: "family" (a guardian of its child: under
    the refund policy, until the child arrives), "institution" (an admin of its institution: in
    full, while it stands), or None (anyone else, a caregiver too: the cancel answers 403). The
    cancel route's guard and the refund preview ask the same; the cancel decides it again on
    the child and the institution."""
    if principal.role is Role.guardian:
        guardian = await children_model.is_guardian(rt.pool, row["child_id"], principal.account_id)
        return "family" if guardian else None
    if principal.role is Role.institution_admin:
        role = await staff_role(rt, row["institution_id"], principal.account_id)
        return "institution" if role == StaffRole.institution_admin else None
    return None


async def _may_cancel_booking(principal: Principal, connection: Any, rt: Runtime) -> bool:
    booking_id = connection.path_params.get("booking_id")
    row = await booking_queries.get_booking(rt.pool, booking_id) if booking_id else None
    if row is None:
        return True  # the handler answers 404; nothing about the booking is revealed
    return await cancels_as(principal, row, rt) is not None


SEE_BOOKING = allow(
    Role.guardian, Role.caregiver, Role.institution_admin,
    relation="a guardian of the booking's child, or staff of its institution",
    check=_may_see_booking,
)  # fmt: skip
CANCEL_BOOKING = allow(
    Role.guardian, Role.institution_admin,
    relation="a guardian of the booking's child, or an admin of its institution",
    check=_may_cancel_booking,
)  # fmt: skip


def booking_request(
    request: Request[Principal, Any, Any], data: NewBooking
) -> service.BookingRequest:
    return service.BookingRequest(
        booking_id=runtime(request).ids.new(), guardian_id=request.user.account_id,
        child_id=data.child_id, institution_id=data.institution_id, room_id=data.room_id,
        day=data.date, start=minutes(data.start), end=minutes(data.end),
        care_type=CareType(data.care_type),
    )  # fmt: skip


def booking_view(row: dict[str, Any]) -> BookingView:
    return BookingView(
        id=row["id"], child_id=row["child_id"], institution_id=row["institution_id"],
        room_id=row["room_id"], date=row["day"], start=hhmm(row["start_min"]),
        end=hhmm(row["end_min"]), starts_at=row["starts_at"], ends_at=row["ends_at"],
        care_type=row["care_type"], care_type_zh=CARE_TYPE_CHINESE[CareType(row["care_type"])],
        status=row["status"], price_fen=row["price_fen"], refund_fen=row["refund_fen"],
        history=[StatusChange(h["status"], h["at"], h.get("detail")) for h in row.get("history", [])],
    )  # fmt: skip


async def booking_row(rt: Runtime, booking_id: UUID) -> dict[str, Any]:
    row = await booking_queries.get_booking(rt.pool, booking_id)
    if row is None:
        raise NotFoundException(f"booking {booking_id} not found")
    return row


def _policy(row: dict[str, Any]) -> RefundPolicy:
    raw = row["refund_policy"]
    return msgspec.convert(
        msgspec.json.decode(raw) if isinstance(raw, str | bytes) else raw, RefundPolicy
    )


class BookingsController(Controller):
    path = "/v1/bookings"
    tags = ["bookings"]

    @post(
        "/",
        opt=allow(
            Role.guardian, relation="a guardian of the child in the body (checked on the child)"
        ),
    )
    async def book(
        self, request: Request[Principal, Any, Any], data: JSONBody[NewBooking]
    ) -> Response[BookingAccepted]:
        booking = booking_request(request, data)
        return await run_command(
            request,
            lambda uow, ctx: service.book_care(uow, ctx.now, booking),
            created=True,
            result_type=BookingAccepted,
            lane=[room_day_id(data.room_id, data.date)],  # bookings of one room-day take turns
            reads=service.booking_reads(booking),
        )

    @get("/", opt=allow(Role.guardian, relation="bookings of the guardian's own children only"))
    async def mine(
        self,
        request: Request[Principal, Any, Any],
        when: FromQuery[Literal["upcoming", "past"]] = "upcoming",
        limit: PageLimit = 50,
        offset: PageOffset = 0,
    ) -> BookingPage:
        rt = runtime(request)
        rows, total = await booking_queries.list_for_guardian(
            rt.pool, request.user.account_id, upcoming=when == "upcoming", now=rt.clock.now(),
            limit=limit, offset=offset,
        )  # fmt: skip
        return BookingPage([booking_view(r) for r in rows], total, limit, offset)

    @get("/{booking_id:uuid}", opt=SEE_BOOKING)
    async def one(
        self, request: Request[Principal, Any, Any], booking_id: FromPath[UUID]
    ) -> BookingView:
        return booking_view(await booking_row(runtime(request), booking_id))

    @get("/{booking_id:uuid}/refund-preview", opt=SEE_BOOKING)
    async def refund_preview(
        self, request: Request[Principal, Any, Any], booking_id: FromPath[UUID]
    ) -> RefundPreview:
        """What cancelling now would refund, under the policy published when it was booked,
        and whether the caller may cancel it now, by the cancel's own rule (`cancels_as`: a
        caregiver may see a booking but not cancel it; a family not once the child has
        arrived)."""
        rt = runtime(request)
        row = await booking_row(rt, booking_id)
        policy = _policy(row)
        cancelling_as = await cancels_as(request.user, row, rt)
        by_institution = cancelling_as == "institution"
        cancellable = (
            cancelling_as is not None
            and row["status"] in ("confirmed", "checked_in")
            and may_cancel(row["status"] == "checked_in", by_institution)
        )
        refund = 0
        if cancellable:
            refund = refund_fen(
                policy, row["price_fen"], row["starts_at"], rt.clock.now(), by_institution
            )
        return RefundPreview(booking_id, row["price_fen"], refund, policy.describe(), cancellable)

    @post("/{booking_id:uuid}/cancel", opt=CANCEL_BOOKING, status_code=200)
    async def cancel(
        self,
        request: Request[Principal, Any, Any],
        booking_id: FromPath[UUID],
        data: JSONBody[CancelBooking | None] = None,
    ) -> Response[BookingCancelled]:
        row = await booking_row(runtime(request), booking_id)
        actor, reason = request.user.account_id, data.reason if data else ""
        return await run_command(
            request,
            lambda uow, ctx: service.cancel_booking(
                uow,
                ctx.now,
                booking_id=booking_id,
                room_day=row["room_day_id"],
                actor_id=actor,
                reason=reason,
            ),  # fmt: skip
            result_type=BookingCancelled,
            lane=[row["room_day_id"]],
        )


@get(
    "/v1/institutions/{institution_id:uuid}/bookings",
    tags=["bookings"],
    opt=STAFF,
)
async def institution_bookings(
    request: Request[Principal, Any, Any],
    institution_id: FromPath[UUID],
    date: FromQuery[date],
    limit: PageLimit = 50,
    offset: PageOffset = 0,
) -> BookingPage:
    """The institution's bookings on a local day (any status), by start time and room, a page
    at a time: a busy day holds thousands."""
    rows, total = await booking_queries.list_for_institution_day(
        runtime(request).pool, institution_id, date, limit=limit, offset=offset
    )
    return BookingPage([booking_view(r) for r in rows], total, limit, offset)
