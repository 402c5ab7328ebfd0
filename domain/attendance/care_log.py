"""The day's care between drop-off and pick-up: 午检, naps, meals, toileting, medication,
incidents, observations; one entry may cover a whole room ("lunch served to all present")."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from enum import StrEnum
from uuid import UUID

import msgspec

from domain.attendance.health import HealthCheck, check_health_check
from domain.attendance.values import ChildNotPresent, NapRuleBroken
from domain.child.aggregate import ChildErased
from domain.errors import InvalidValue


class CareKind(StrEnum):
    midday_check = "midday_check"  # 午检
    nap_start = "nap_start"
    nap_check = "nap_check"  # while asleep, with who (BookingSettings.nap_check_minutes)
    nap_end = "nap_end"
    meal = "meal"
    toileting = "toileting"
    medication = "medication"
    incident = "incident"
    observation = "observation"


CARE_KIND_CHINESE = {
    CareKind.midday_check: "午检",
    CareKind.nap_start: "午睡开始",
    CareKind.nap_check: "午睡巡查",
    CareKind.nap_end: "午睡结束",
    CareKind.meal: "进餐",
    CareKind.toileting: "如厕/换尿布",
    CareKind.medication: "喂药",
    CareKind.incident: "意外事件",
    CareKind.observation: "观察记录",
}
MEALS = ("breakfast", "morning_snack", "lunch", "afternoon_snack", "dinner")
AMOUNTS = ("all", "most", "half", "little", "none")
TOILETING = ("wet", "dirty", "potty", "dry")
INCIDENT_CATEGORIES = (
    "fall", "bump", "bite", "scratch", "illness", "allergy", "lost_item", "suspected_abuse",
    "other",
)  # fmt: skip


class CareEntry(msgspec.Struct, frozen=True):
    entry_id: UUID
    kind: CareKind
    room_id: UUID
    child_ids: tuple[UUID, ...]
    at: datetime  # the device's time: when it happened
    by: UUID
    note: str = ""
    meal: str | None = None
    amount: str | None = None
    toileting: str | None = None
    category: str | None = None  # incidents
    health: HealthCheck | None = None  # 午检
    authorisation_id: UUID | None = None  # medication
    medicine: str | None = None
    dose: str | None = None


def _one_of(value: str | None, allowed: tuple[str, ...], field: str) -> None:
    if value not in allowed:
        raise InvalidValue(f"{field} must be one of {', '.join(allowed)}", field=field)


def check_entry(entry: CareEntry) -> None:
    """Each kind carries what it needs; refused by field name otherwise."""
    kind = entry.kind
    if kind is CareKind.meal:
        _one_of(entry.meal, MEALS, "meal")
        if entry.amount is not None:
            _one_of(entry.amount, AMOUNTS, "amount")
    elif kind is CareKind.toileting:
        _one_of(entry.toileting, TOILETING, "toileting")
    elif kind is CareKind.incident:
        _one_of(entry.category, INCIDENT_CATEGORIES, "category")
        if not entry.note.strip():
            raise InvalidValue("describe what happened", field="note")
    elif kind is CareKind.midday_check:
        if entry.health is None:
            raise InvalidValue("a midday check needs its results", field="health_check")
        check_health_check(entry.health)
    elif kind is CareKind.medication:
        if entry.authorisation_id is None:
            raise InvalidValue(
                "medication is given only against a guardian's authorisation",
                field="authorisation_id",
            )
        if len(entry.child_ids) != 1:
            raise InvalidValue("each dose is logged for one child", field="child_ids")
    elif kind is CareKind.observation and not entry.note.strip():
        raise InvalidValue("an observation needs a note", field="note")


# Kinds that are nothing without what the erased child's data held: an observation is only its
# words; a dose is given against the guardian's authorisation, which was erased with the child.
NOT_WITHOUT_WORDS = (CareKind.observation, CareKind.medication)


def about_erased_children(entry: CareEntry, erased: Collection[UUID]) -> CareEntry:
    """The entry as recorded when it covers a child whose data was erased (a tablet replays it
    after the erasure): the fact without the staff's words (its note, a midday check's
    observations), for every child it covers, as one entry has one note; the kind, time, room,
    who, the meal, amount, toileting, an incident's category and a check's temperature and
    checklist stay. The words would stay in the institution's day stream, which is append-only
    and not sealed with the child's key (ADR 0012). An observation or a dose is refused
    instead (`NOT_WITHOUT_WORDS`)."""
    gone = [child_id for child_id in entry.child_ids if child_id in erased]
    if not gone:
        return entry
    if entry.kind in NOT_WITHOUT_WORDS:
        raise ChildErased(
            "this child's personal data was erased at its guardian's request: care of kind"
            f" {entry.kind.value} about it says nothing without it, and is not recorded",
            field="child_ids", child_id=str(gone[0]),
        )  # fmt: skip
    health = entry.health and msgspec.structs.replace(entry.health, observations="")
    return msgspec.structs.replace(entry, note="", health=health)


def children_cared_for(
    entry: CareEntry, in_room: RoomAt, napping: dict[UUID, datetime]
) -> tuple[UUID, ...]:
    """The children an entry covers (all in the room at its time when it names none), each
    in the room then, and naps in their order: start, checks, end. Nap order is judged only
    for a child still here: a nap ends with its child's departure, so an entry replayed after
    it is history, not a nap to keep in order."""
    children = entry.child_ids or in_room.all
    if not children:
        raise ChildNotPresent("no child is present in this room", field="room_id")
    if not entry.child_ids and entry.kind in NAP_KINDS:
        return _whole_room_nap(entry.kind, children, napping)
    for child_id in children:
        if child_id not in in_room.named:
            raise ChildNotPresent(
                "the child is not present in this room", field="child_ids",
                child_id=str(child_id),
            )  # fmt: skip
        if child_id not in in_room.still_here:
            continue
        if entry.kind is CareKind.nap_start and child_id in napping:
            raise NapRuleBroken("the child is already asleep", field="child_ids")
        if entry.kind in (CareKind.nap_check, CareKind.nap_end) and child_id not in napping:
            raise NapRuleBroken("the child's nap has not started", field="child_ids")
    return tuple(children)


NAP_KINDS = (CareKind.nap_start, CareKind.nap_check, CareKind.nap_end)


def _whole_room_nap(
    kind: CareKind, in_room: tuple[UUID, ...], napping: dict[UUID, datetime]
) -> tuple[UUID, ...]:
    """One tap for the whole room: "naps begin" for the children awake, a check or "naps
    end" for the children asleep; refused only if it covers nobody."""
    asleep = kind is not CareKind.nap_start
    children = tuple(c for c in in_room if (c in napping) is asleep)
    if not children:
        raise NapRuleBroken(
            "no child in this room is " + ("asleep" if asleep else "awake"), field="room_id"
        )
    return children


class RoomAt(msgspec.Struct, frozen=True):
    """Who was in the room at an entry's time: `all` strictly (an entry for the whole room),
    `named` within the devices' clock skew (an entry naming children), and `still_here`, the
    children in the room now."""

    all: tuple[UUID, ...]
    named: frozenset[UUID]
    still_here: frozenset[UUID]


def notifies_guardian(entry: CareEntry) -> bool:
    """Guardians are told at once of incidents, doses given and an abnormal midday check."""
    return entry.kind in (CareKind.incident, CareKind.medication) or (
        entry.kind is CareKind.midday_check and entry.health is not None and entry.health.abnormal()
    )
