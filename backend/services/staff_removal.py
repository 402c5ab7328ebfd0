"""Removing someone from an institution's staff: out of the room they are clocked in to first,
so they count toward no ratio once they are gone, then off the staff."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from api_schema.common import CommandAccepted
from backend.services.attendance import day_of_stay
from backend.services.institutions import accepted, administered
from backend.services.room_day_care import clock_out
from backend.unit_of_work import UnitOfWork
from domain.account.aggregate import Account


async def remove_staff(
    uow: UnitOfWork, now: datetime, institution_id: UUID, account_id: UUID, by: UUID | None
) -> CommandAccepted:
    """Detach the account from the staff; clocked in to a room (today, or still from the day
    before), they are clocked out of it at `now`, as if they had done it (the room's ratio is
    checked again, and an alarm raised if it is broken), and their shift there ends."""
    institution = await administered(uow, institution_id, by)
    account = await uow.get(Account, account_id, "account")
    day = await day_of_stay(uow, institution_id, account_id, now, institution.timezone)
    room_id = day.staff.get(account_id) if day is not None else None
    if day is not None and room_id is not None:
        # at `now`, or at their clock-in if their device's clock ran ahead of the server's
        came = [v.arrived for v in day.staff_stays.get(account_id, []) if v.left is None]
        at = max([now, *came])
        await clock_out(uow, now, institution_id=institution_id, room_id=room_id, by=account_id,
                        at=at)  # fmt: skip
    account.end_shift(institution_id, now, now)  # one left open on an earlier day ends too
    institution.detach_staff(account_id, now)
    account.revoke_membership(institution_id, now)
    return accepted(institution)
