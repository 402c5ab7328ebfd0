"""The waitlist: join when a room is full, take a place when one is offered, or leave."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody

from api_schema.booking import BookingAccepted, NewBooking
from api_schema.common import CommandAccepted
from backend.api.commanding import run_command, runtime
from backend.api.routes.bookings import booking_request
from backend.auth.access import allow
from backend.auth.principal import Principal
from backend.services import waitlist as service
from domain.account.aggregate import Role
from domain.booking.room_day import room_day_id
from domain.booking.terms import CARE_TYPE_CHINESE, CareType
from domain.institution.values import hhmm
from projections import waitlist as waitlist_model

OWN_ENTRY = allow(
    Role.guardian, relation="a guardian of the entry's child (checked on the child and room-day)"
)


class WaitlistEntryView(msgspec.Struct, frozen=True):
    """An entry of the guardian's, with the room and institution it waits for (null only for an
    entry whose room-day the read models did not know when it joined)."""

    id: UUID
    child_id: UUID
    institution_id: UUID | None
    institution_name: str | None
    room_id: UUID | None
    room_name: str | None
    date: dt.date
    start: str
    end: str
    care_type: str
    care_type_zh: str
    status: str
    offered_until: dt.datetime | None


async def _entry(request: Request[Any, Any, Any], entry_id: UUID) -> dict[str, Any]:
    row = await waitlist_model.get_entry(runtime(request).pool, entry_id)
    if row is None:
        raise NotFoundException(f"waitlist entry {entry_id} not found")
    return row


class WaitlistController(Controller):
    path = "/v1/waitlist"
    tags = ["waitlist"]

    @post("/", opt=allow(Role.guardian, relation="a guardian of the child (checked on the child)"))
    async def join(
        self, request: Request[Principal, Any, Any], data: JSONBody[NewBooking]
    ) -> Response[CommandAccepted]:
        """Wait for a full interval; refused with 409 place-available while a place is free."""
        waiting = booking_request(request, data)
        return await run_command(
            request,
            lambda uow, ctx: service.join_waitlist(uow, ctx.now, waiting),
            created=True,
            lane=[room_day_id(data.room_id, data.date)],
        )

    @get("/", opt=allow(Role.guardian, relation="entries of the guardian's own children only"))
    async def mine(self, request: Request[Principal, Any, Any]) -> list[WaitlistEntryView]:
        rows = await waitlist_model.for_guardian(runtime(request).pool, request.user.account_id)
        return [
            WaitlistEntryView(
                r["entry_id"],
                r["child_id"],
                r["institution_id"],
                r["institution_name"],
                r["room_id"],
                r["room_name"],
                r["day"],
                hhmm(r["start_min"]),
                hhmm(r["end_min"]),
                r["care_type"],
                CARE_TYPE_CHINESE[CareType(r["care_type"])],
                r["status"],
                r["offered_until"],
            )  # fmt: skip
            for r in rows
        ]

    @post("/{entry_id:uuid}/accept", opt=OWN_ENTRY)
    async def accept(
        self, request: Request[Principal, Any, Any], entry_id: FromPath[UUID]
    ) -> Response[BookingAccepted]:
        row = await _entry(request, entry_id)
        guardian, booking_id = request.user.account_id, runtime(request).ids.new()
        return await run_command(
            request,
            lambda uow, ctx: service.take_offer(
                uow,
                ctx.now,
                room_day_id=row["room_day_id"],
                entry_id=entry_id,
                guardian_id=guardian,
                booking_id=booking_id,
            ),  # fmt: skip
            created=True,
            result_type=BookingAccepted,
            lane=[row["room_day_id"]],
        )

    @delete("/{entry_id:uuid}", opt=OWN_ENTRY, status_code=200)
    async def leave(
        self, request: Request[Principal, Any, Any], entry_id: FromPath[UUID]
    ) -> Response[CommandAccepted]:
        row = await _entry(request, entry_id)
        guardian = request.user.account_id
        return await run_command(
            request,
            lambda uow, ctx: service.leave_waitlist(
                uow,
                ctx.now,
                room_day_id=row["room_day_id"],
                entry_id=entry_id,
                guardian_id=guardian,
            ),  # fmt: skip
        )
