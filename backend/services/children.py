"""Decisions about children: a guardian registers a child, with consent, and adds co-guardians."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from litestar.exceptions import PermissionDeniedException

from api_schema.common import CommandAccepted
from backend.commands import UnitOfWork
from domain.child.aggregate import Child, Sex


async def register_child(
    uow: UnitOfWork,
    now: datetime,
    *,
    child_id: UUID,
    guardian_id: UUID,
    name: str,
    birth_date: date,
    sex: Sex,
    consent: bool,
    today: date,
) -> CommandAccepted:
    child = Child.register(
        child_id, guardian_id, name=name, birth_date=birth_date, sex=sex,
        consent_purposes=("care_booking",) if consent else (), today=today, now=now,
    )  # fmt: skip
    uow.add(child)
    return CommandAccepted(id=child.id, version=child.version)


async def guarded_child(uow: UnitOfWork, child_id: UUID, guardian_id: UUID) -> Child:
    """The child, checked on the aggregate itself to be in this guardian's care."""
    child = await uow.get(Child, child_id, "child")
    if not child.is_guardian(guardian_id):
        raise PermissionDeniedException("only a guardian of this child")
    return child
