"""Decisions about institutions: filing, hours, rooms, staff. Each loads aggregates and calls the domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from litestar.exceptions import PermissionDeniedException

from api_schema.common import CommandAccepted
from backend.unit_of_work import UnitOfWork
from domain.account.aggregate import Account, Role, account_id_for
from domain.city.aggregate import City
from domain.class_types import ClassRules, ClassType
from domain.institution.aggregate import Institution
from domain.institution.kinds import Category, Ownership, StaffRole
from domain.institution.values import Location, OpeningInterval, Room


@dataclass(frozen=True)
class StaffInvite:
    phone: str
    display_name: str
    password_hash: str
    role: StaffRole


@dataclass(frozen=True)
class Filing:
    name: str
    district_code: str
    town: str
    location: Location
    category: Category
    ownership: Ownership
    puhui: bool
    filed_places: int
    timezone: str
    opening_hours: tuple[OpeningInterval, ...]


async def administered(uow: UnitOfWork, institution_id: UUID, by: UUID | None) -> Institution:
    """The institution, checked on the aggregate itself that `by` administers it (None: system)."""
    institution = await uow.get(Institution, institution_id, "institution")
    if by is not None and institution.staff.get(by) is not StaffRole.institution_admin:
        raise PermissionDeniedException("only an institution_admin of this institution")
    return institution


def accepted(aggregate: Institution | Account | City) -> CommandAccepted:
    return CommandAccepted(id=aggregate.id, version=aggregate.version)


async def register_institution(
    uow: UnitOfWork,
    now: datetime,
    *,
    institution_id: UUID,
    city_id: UUID,
    filing: Filing,
    admin: StaffInvite,
) -> CommandAccepted:
    city = await uow.get(City, city_id, "city")
    institution = Institution.register(
        institution_id,
        city,
        name=filing.name,
        district_code=filing.district_code,
        town=filing.town,
        location=filing.location,
        category=filing.category,
        ownership=filing.ownership,
        puhui=filing.puhui,
        filed_places=filing.filed_places,
        timezone=filing.timezone,
        opening_hours=filing.opening_hours,
        now=now,
    )
    uow.add(institution)
    await join_staff(uow, now, institution, admin)
    return accepted(institution)


async def join_staff(
    uow: UnitOfWork, now: datetime, institution: Institution, invite: StaffInvite
) -> Account:
    """Attach a person to the staff, opening their account first if the phone is new."""
    account = await uow.find(Account, account_id_for(invite.phone))
    if account is None:
        role = Role(invite.role.value)
        account = Account.register(
            invite.phone, invite.display_name, role, now, password_hash=invite.password_hash
        )
        uow.add(account)
    account.grant_membership(institution.id, invite.role, now)
    institution.attach_staff(account.id, invite.role, now)
    return account


async def add_staff(
    uow: UnitOfWork, now: datetime, institution_id: UUID, invite: StaffInvite, by: UUID | None
) -> CommandAccepted:
    institution = await administered(uow, institution_id, by)
    account = await join_staff(uow, now, institution, invite)
    return accepted(account)


async def class_rules_of(uow: UnitOfWork, institution: Institution) -> ClassRules:
    """The class rules in force where the institution is: its city's (read at a version, so a
    decision on them conflicts with a change of them; shared, never changed: see
    `UnitOfWork.read_only`)."""
    city = await uow.read_only(City, institution.city_id, "city")
    return city.class_rules()


@dataclass(frozen=True)
class RoomRequest:
    """A room as an admin describes it; without a ratio, the city's rule for its class type."""

    room_id: UUID
    name: str
    class_type: ClassType
    capacity: int
    children_per_carer: int | None = None

    def room(self, rules: ClassRules) -> Room:
        ratio = self.children_per_carer or rules[self.class_type].children_per_carer
        return Room(self.room_id, self.name.strip(), self.class_type, self.capacity, ratio)


async def add_room(
    uow: UnitOfWork, now: datetime, institution_id: UUID, request: RoomRequest, by: UUID | None
) -> CommandAccepted:
    institution = await administered(uow, institution_id, by)
    rules = await class_rules_of(uow, institution)
    institution.add_room(request.room(rules), rules, now)
    return CommandAccepted(id=request.room_id, version=institution.version)


async def change_room(
    uow: UnitOfWork, now: datetime, institution_id: UUID, request: RoomRequest, by: UUID | None
) -> CommandAccepted:
    institution = await administered(uow, institution_id, by)
    rules = await class_rules_of(uow, institution)
    institution.change_room(request.room(rules), rules, now)
    return CommandAccepted(id=request.room_id, version=institution.version)


async def change_opening_hours(
    uow: UnitOfWork,
    now: datetime,
    institution_id: UUID,
    hours: tuple[OpeningInterval, ...],
    by: UUID | None,
) -> CommandAccepted:
    institution = await administered(uow, institution_id, by)
    institution.change_opening_hours(hours, now)
    return accepted(institution)
