"""Decisions about children: a guardian registers a child, with consent, adds co-guardians and
the people who may (or must not) collect it, changes those arrangements and corrects the
profile later, and may withdraw that consent and have the child's personal data erased."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from litestar.exceptions import PermissionDeniedException

from api_schema.common import CommandAccepted
from backend.unit_of_work import UnitOfWork
from domain.account.aggregate import Account, Role, account_id_for, normalise_phone
from domain.child.aggregate import Child, PickupAdult, Sex
from domain.child.care import BlockedCollector, Delegate, HealthRecord
from domain.child.medication import MedicationAuthorisation
from domain.errors import InvalidValue, NotFound


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
    await uow.create_data_key(child.id)  # before anything is sealed with it
    uow.add(child)
    return CommandAccepted(id=child.id, version=child.version)


async def erase_child(
    uow: UnitOfWork, now: datetime, *, child_id: UUID, by: UUID, today: date, present: bool,
    waiting: UUID | None,
) -> CommandAccepted:  # fmt: skip
    """A guardian withdraws consent: DataErased is recorded; the caller then destroys the key.
    `present`: the child is checked in somewhere now; `waiting`: a waitlist entry it is on
    (both from the read models)."""
    child = await uow.find(Child, child_id)
    if child is None:
        raise NotFound(f"child {child_id} does not exist", field="child_id")
    if not child.is_guardian(by):
        raise PermissionDeniedException("only a guardian of this child")
    child.erase(by, today, now, present=present, waiting=waiting)
    return CommandAccepted(id=child.id, version=child.version)


async def erase_after_retention(
    uow: UnitOfWork, now: datetime, *, child_id: UUID, today: date
) -> CommandAccepted:
    """The retention job: a child whose last care is past retention is erased (by no one)."""
    child = await uow.get(Child, child_id, "child")
    child.erase_after_retention(today, now)
    return CommandAccepted(id=child.id, version=child.version)


async def guarded_child(uow: UnitOfWork, child_id: UUID, guardian_id: UUID) -> Child:
    """The child, checked on the aggregate itself to be in this guardian's care."""
    child = await uow.get(Child, child_id, "child")
    if not child.is_guardian(guardian_id):
        raise PermissionDeniedException("only a guardian of this child")
    return child


async def add_guardian(
    uow: UnitOfWork, now: datetime, *, child_id: UUID, by: UUID, phone: str, display_name: str
) -> CommandAccepted:
    """Another guardian (the other parent, a grandparent…) joins; their account opens if new."""
    child = await guarded_child(uow, child_id, by)
    account = await uow.find(Account, account_id_for(phone))
    if account is None:
        account = Account.register(phone, display_name, Role.guardian, now)
        uow.add(account)
    elif account.role is not Role.guardian:
        raise InvalidValue("this phone belongs to a staff or regulator account", field="phone")
    child.add_guardian(account.id, now)
    return CommandAccepted(id=account.id, version=child.version)


async def authorise_pickup(
    uow: UnitOfWork, now: datetime, *, child_id: UUID, by: UUID, adult: PickupAdult
) -> CommandAccepted:
    child = await guarded_child(uow, child_id, by)
    adult = PickupAdult(adult.name.strip(), normalise_phone(adult.phone), adult.relation.strip())
    child.authorise_pickup(adult, now)
    return CommandAccepted(id=child.id, version=child.version)


async def record_health(
    uow: UnitOfWork, now: datetime, *, child_id: UUID, record: HealthRecord, today: date
) -> CommandAccepted:
    """Staff record an admission check or a re-examination (the route checked the relation)."""
    child = await uow.get(Child, child_id, "child")
    child.record_health(record, today, now)
    return CommandAccepted(id=child.id, version=child.version)


async def delegate_pickup(
    uow: UnitOfWork, now: datetime, *, child_id: UUID, by: UUID, delegate: Delegate, today: date
) -> CommandAccepted:
    child = await guarded_child(uow, child_id, by)
    named = Delegate(delegate.name.strip(), normalise_phone(delegate.phone), delegate.day)
    child.delegate_pickup(named, today, now)
    return CommandAccepted(id=child.id, version=child.version)


async def block_collector(
    uow: UnitOfWork, now: datetime, *, child_id: UUID, by: UUID, person: BlockedCollector
) -> CommandAccepted:
    child = await guarded_child(uow, child_id, by)
    named = BlockedCollector(person.name.strip(), normalise_phone(person.phone), person.reason)
    child.block_collector(named, now)
    return CommandAccepted(id=child.id, version=child.version)


async def authorise_medication(
    uow: UnitOfWork,
    now: datetime,
    *,
    child_id: UUID,
    by: UUID,
    authorisation: MedicationAuthorisation,
) -> CommandAccepted:
    child = await guarded_child(uow, child_id, by)
    child.authorise_medication(authorisation, now)
    return CommandAccepted(id=authorisation.authorisation_id, version=child.version)


async def correct_profile(
    uow: UnitOfWork, now: datetime, *, child_id: UUID, by: UUID, name: str, birth_date: date,
    sex: Sex,
) -> CommandAccepted:  # fmt: skip
    """A typo at registration put right; the same profile again records nothing."""
    child = await guarded_child(uow, child_id, by)
    child.correct_profile(name, birth_date, sex, now)
    return CommandAccepted(id=child.id, version=child.version)


async def withdraw_pickup_adult(
    uow: UnitOfWork, now: datetime, *, child_id: UUID, by: UUID, phone: str
) -> CommandAccepted:
    child = await guarded_child(uow, child_id, by)
    child.withdraw_pickup_adult(normalise_phone(phone), now)
    return CommandAccepted(id=child.id, version=child.version)


async def withdraw_delegate(
    uow: UnitOfWork, now: datetime, *, child_id: UUID, by: UUID, phone: str, day: date,
    today: date,
) -> CommandAccepted:  # fmt: skip
    child = await guarded_child(uow, child_id, by)
    child.withdraw_delegate(normalise_phone(phone), day, today, now)
    return CommandAccepted(id=child.id, version=child.version)


async def lift_block(
    uow: UnitOfWork, now: datetime, *, child_id: UUID, by: UUID, phone: str
) -> CommandAccepted:
    child = await guarded_child(uow, child_id, by)
    child.lift_block(normalise_phone(phone), now)
    return CommandAccepted(id=child.id, version=child.version)


async def withdraw_medication(
    uow: UnitOfWork, now: datetime, *, child_id: UUID, by: UUID, authorisation_id: UUID
) -> CommandAccepted:
    child = await guarded_child(uow, child_id, by)
    child.withdraw_medication(authorisation_id, now)
    return CommandAccepted(id=authorisation_id, version=child.version)
