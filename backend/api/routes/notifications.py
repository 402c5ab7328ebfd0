"""What the signed-in account has been told: bookings confirmed, cancelled, released."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from litestar import Request, get

from backend.api.commanding import runtime
from backend.api.paging import PageLimit, PageOffset
from backend.auth.access import allow
from backend.auth.principal import Principal
from domain.account.aggregate import Role
from projections import notifications


class Notification(msgspec.Struct, frozen=True):
    id: int
    kind: str
    title: str
    body: str
    at: datetime
    booking_id: UUID | None = None


@get(
    "/v1/notifications",
    tags=["notifications"],
    opt=allow(*Role, relation="the signed-in account's own notifications only"),
)
async def my_notifications(
    request: Request[Principal, Any, Any], limit: PageLimit = 50, offset: PageOffset = 0
) -> list[Notification]:
    rows = await notifications.for_account(
        runtime(request).pool, request.user.account_id, limit, offset
    )
    return [
        Notification(r["position"], r["kind"], r["title"], r["body"], r["at"], r["booking_id"])
        for r in rows
    ]
