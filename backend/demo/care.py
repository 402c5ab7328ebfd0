"""Demo care: what each room offers (全日托, 半日托, 计时托, 临时托, 延时托, 周末托), its roster and
the institution's refund policy; the demo families' children, registered with consent; and, for
children who fit a room of the first institution, a regular place this term with their admission
check on record, so booking and attendance can be tried right after `make run`."""

from __future__ import annotations

import zlib
from datetime import date, datetime, timedelta
from uuid import UUID, uuid5

from api_schema.common import CommandAccepted
from backend.demo.model import DemoCity, DemoFamily, DemoInstitution
from backend.services import children, enrolments
from backend.services.institutions import accepted
from backend.unit_of_work import UnitOfWork
from domain.account.aggregate import account_id_for
from domain.booking.eligibility import AgeDoesNotFit, check_age_fits
from domain.booking.terms import CareOffer, CareType, RefundPolicy, Shift
from domain.child.aggregate import Child, Sex, age_in_months
from domain.child.care import HealthRecord, HealthRecordKind
from domain.class_types import NATIONAL
from domain.errors import DomainError
from domain.institution.aggregate import Institution
from domain.institution.values import Room

NOON, FIVE_PM = 12 * 60, 17 * 60
DEMO_CHILD_NAMESPACE = UUID("3c1f4e2a-9d8b-4f6e-a1c2-5b7d9e0f1a23")
REGULAR_DAY = (8 * 60 + 30, 16 * 60 + 30)  # the demo's regular places, Monday to Friday


def room_terms(
    inst: DemoInstitution, room: Room
) -> tuple[tuple[CareOffer, ...], tuple[Shift, ...]]:
    """Offers within each day's opening hours, priced lower at 普惠 institutions, and a roster
    with enough carers for a full room all day."""
    day_fen, hour_fen = (12_000, 2_500) if inst.puhui else (20_000, 4_000)
    offers: list[CareOffer] = []
    shifts: list[Shift] = []
    for h in inst.opening_hours:
        on = (h.weekday,)
        if h.weekday >= 6:
            offers.append(CareOffer(CareType.weekend, on, h.opens, h.closes, hour_fen, "per_hour",
                                    120, 6 * 60, 8 * 60))  # fmt: skip
        else:
            offers += [
                CareOffer(CareType.full_day, on, h.opens, min(h.closes, FIVE_PM), day_fen,
                          "per_session", 24 * 60),
                CareOffer(CareType.half_day, on, h.opens, NOON, day_fen * 6 // 10, "per_session",
                          12 * 60),
                CareOffer(CareType.hourly, on, h.opens, h.closes, hour_fen, "per_hour", 60,
                          4 * 60, 8 * 60),
                CareOffer(CareType.temporary, on, h.opens, h.closes, hour_fen * 3 // 2,
                          "per_hour", 30, 4 * 60, 4 * 60),
            ]  # fmt: skip
            if h.closes > FIVE_PM:
                offers.append(CareOffer(CareType.extended, on, FIVE_PM, h.closes, hour_fen,
                                        "per_hour", 120, h.closes - FIVE_PM,
                                        h.closes - FIVE_PM))  # fmt: skip
        staff = -(-room.capacity // room.children_per_carer)
        shifts.append(Shift(h.weekday, h.opens, h.closes, staff))
    return tuple(offers), tuple(shifts)


def refund_policy(inst: DemoInstitution) -> RefundPolicy:
    hours = 12 + zlib.crc32(inst.institution_id.bytes) % 3 * 12  # 12, 24 or 36 hours
    return RefundPolicy(full_refund_hours_before=hours, late_refund_percent=50)


async def publish_terms(
    uow: UnitOfWork, now: datetime, *, inst: DemoInstitution
) -> CommandAccepted:
    institution = await uow.get(Institution, inst.institution_id, "institution")
    for room in inst.rooms:
        offers, shifts = room_terms(inst, room)
        institution.publish_offers(room.room_id, offers, now)
        institution.plan_roster(room.room_id, shifts, now)
    institution.publish_refund_policy(refund_policy(inst), now)
    return accepted(institution)


def demo_child_id(family: DemoFamily, index: int) -> UUID:
    return uuid5(DEMO_CHILD_NAMESPACE, f"{family.guardian_phone}/{index}")


async def register_family(
    uow: UnitOfWork, now: datetime, *, family: DemoFamily, today: date
) -> CommandAccepted:
    """The family's children, each with the guardian's consent for care booking."""
    guardian = account_id_for(family.guardian_phone)
    for index, child in enumerate(family.children):
        if child.birth_date <= today and age_in_months(child.birth_date, today) < 36:
            await children.register_child(
                uow, now, child_id=demo_child_id(family, index), guardian_id=guardian,
                name=child.name, birth_date=child.birth_date, sex=Sex(child.sex), consent=True,
                today=today,
            )  # fmt: skip
    return CommandAccepted(id=guardian, version=0)


def regular_place(inst: DemoInstitution, birth_date: date, term: tuple[date, date]) -> Room | None:
    """A room of `inst` the child fits all term (from its first to its last day; the demo
    cities keep the national class rules)."""
    for room in inst.rooms:
        try:
            for day in term:
                check_age_fits(room.class_type, birth_date, day, NATIONAL)
        except AgeDoesNotFit:
            continue
        return room
    return None


async def enrol_family(
    uow: UnitOfWork, now: datetime, *, city: DemoCity, family: DemoFamily, term_length: timedelta
) -> CommandAccepted:
    """A regular place Monday to Friday in the first institution for each child who fits one
    (while places last), and the admission check its admin recorded. The term starts on the
    local day of this command's own `now`, the day its decision judges it by: a load that runs
    past local midnight starts the later families' terms the next day instead of losing them."""
    inst = city.institutions[0]
    first = (await uow.get(Institution, inst.institution_id, "institution")).local_date(now)
    term = (first, first + term_length)
    guardian = account_id_for(family.guardian_phone)
    for index, _ in enumerate(family.children):
        child = await uow.find(Child, demo_child_id(family, index))
        room = regular_place(inst, child.birth_date, term) if child is not None else None
        if child is None or room is None:
            continue
        try:  # the room decides before anything is recorded; a full room just skips the child
            await _enrol(uow, now, inst, child, room, guardian, term)
        except DomainError:
            continue
        record = HealthRecord(
            HealthRecordKind.admission, term[0] - timedelta(days=14), passed=True,
            vaccination_checked=True, recorded_by=account_id_for(inst.admin.phone),
        )  # fmt: skip
        child.record_health(record, term[0], now)
    return CommandAccepted(id=guardian, version=0)


async def _enrol(
    uow: UnitOfWork, now: datetime, inst: DemoInstitution, child: Child, room: Room,
    guardian: UUID, term: tuple[date, date],
) -> None:  # fmt: skip
    await enrolments.enrol(uow, now, enrolments.EnrolmentRequest(
            enrolment_id=uuid5(DEMO_CHILD_NAMESPACE, f"{child.id}/enrolment"),
            guardian_id=guardian, child_id=child.id, institution_id=inst.institution_id,
            room_id=room.room_id, care_type=CareType.full_day, weekdays=(1, 2, 3, 4, 5),
        first_day=term[0], last_day=term[1], start=REGULAR_DAY[0], end=REGULAR_DAY[1],
    ))  # fmt: skip
