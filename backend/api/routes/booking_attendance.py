"""Staff mark a booked child as arrived and as collected (the attendance issue builds on this)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, post

from api_schema.common import CommandAccepted
from backend.api.commanding import run_command, runtime
from backend.api.routes.bookings import booking_row
from backend.auth.access import allow
from backend.auth.principal import Principal
from backend.services import attendance
from domain.account.aggregate import Role

STAFF_OF_BOOKING = allow(
    Role.caregiver, Role.institution_admin,
    relation="staff of the booking's institution (checked on the institution)",
)  # fmt: skip


class BookingAttendanceController(Controller):
    path = "/v1/bookings/{booking_id:uuid}"
    tags = ["bookings"]

    @post("/check-in", opt=STAFF_OF_BOOKING, status_code=200)
    async def check_in(
        self, request: Request[Principal, Any, Any], booking_id: UUID
    ) -> Response[CommandAccepted]:
        return await _mark(request, booking_id, attendance.check_in)

    @post("/check-out", opt=STAFF_OF_BOOKING, status_code=200)
    async def check_out(
        self, request: Request[Principal, Any, Any], booking_id: UUID
    ) -> Response[CommandAccepted]:
        return await _mark(request, booking_id, attendance.check_out)


async def _mark(
    request: Request[Principal, Any, Any], booking_id: UUID, action: Any
) -> Response[CommandAccepted]:
    row = await booking_row(runtime(request), booking_id)
    by = request.user.account_id
    return await run_command(
        request,
        lambda uow, ctx: action(
            uow, ctx.now, room_day_id=row["room_day_id"], booking_id=booking_id, by=by
        ),
        lane=[row["room_day_id"]],
    )
