"""Read model `institutions`: the public directory, institution detail and the admin's own view.

Handles Institution events and City.ClassRulesSet; tables rm_institutions, rm_rooms,
rm_institution_staff, rm_room_terms (each room's published care offers and planned roster, as
JSON), rm_booking_settings (an institution's settings once it changed them; until then the
defaults of `BookingSettings` hold), rm_closures and rm_city_class_rules (each city's own class rules, by class type, as JSON).
A room's `capacity` and `children_per_carer` are those in force: as the admin set them
(`set_capacity`, `set_children_per_carer`), never looser than its city's class rules, as the
decisions hold them (`Institution.room_in_force`).
Each batch is folded to final row states first, then written with one statement per table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from domain.booking.terms import DEFAULT_REFUND_POLICY, CareOffer, Shift
from domain.city.aggregate import City
from domain.class_types import ClassType, LocalClassRule
from domain.institution.aggregate import Institution
from projections.base import Envelope

name = "institutions"
handles: tuple[type, ...] = (
    Institution.Registered,
    Institution.OpeningHoursChanged,
    Institution.RoomAdded,
    Institution.RoomChanged,
    Institution.StaffAttached,
    Institution.StaffDetached,
    Institution.CareOffersPublished,
    Institution.RosterPlanned,
    Institution.RefundPolicyPublished,
    Institution.ClosureAnnounced,
    Institution.BookingSettingsChanged,
    City.ClassRulesSet,
)
tables = (
    "rm_institutions",
    "rm_rooms",
    "rm_institution_staff",
    "rm_room_terms",
    "rm_closures",
    "rm_booking_settings",
    "rm_city_class_rules",
)
schema = """
CREATE TABLE IF NOT EXISTS rm_institutions (
    id uuid PRIMARY KEY, name text NOT NULL, city_id uuid NOT NULL, district_code text NOT NULL,
    town text NOT NULL, address text NOT NULL, lat double precision NOT NULL,
    lng double precision NOT NULL, category text NOT NULL, ownership text NOT NULL,
    puhui boolean NOT NULL, filed_places integer NOT NULL, timezone text NOT NULL,
    opening_hours jsonb NOT NULL, registered_at timestamptz NOT NULL, position bigint NOT NULL,
    refund_policy jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_institutions_district ON rm_institutions (district_code);
CREATE TABLE IF NOT EXISTS rm_rooms (
    id uuid PRIMARY KEY, institution_id uuid NOT NULL, name text NOT NULL,
    class_type text NOT NULL, capacity integer NOT NULL, children_per_carer integer NOT NULL,
    set_capacity integer NOT NULL, set_children_per_carer integer NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_rooms_institution ON rm_rooms (institution_id);
CREATE TABLE IF NOT EXISTS rm_institution_staff (
    institution_id uuid NOT NULL, account_id uuid NOT NULL, role text NOT NULL,
    since bigint NOT NULL,  -- position from which they hold this role (notices address by it)
    PRIMARY KEY (institution_id, account_id)
);
CREATE INDEX IF NOT EXISTS rm_institution_staff_account ON rm_institution_staff (account_id);
CREATE TABLE IF NOT EXISTS rm_booking_settings (
    institution_id uuid PRIMARY KEY, no_show_after_minutes integer NOT NULL,
    waitlist_offer_minutes integer NOT NULL, check_in_tolerance_minutes integer NOT NULL,
    uncollected_after_minutes integer NOT NULL, escalate_every_minutes integer NOT NULL,
    nap_check_minutes integer NOT NULL
);
CREATE TABLE IF NOT EXISTS rm_closures (
    institution_id uuid NOT NULL, room_id uuid, day date NOT NULL, reason text NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_closures_day ON rm_closures (institution_id, day);
CREATE TABLE IF NOT EXISTS rm_room_terms (
    room_id uuid PRIMARY KEY, institution_id uuid NOT NULL,
    offers jsonb NOT NULL DEFAULT '[]', shifts jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS rm_room_terms_institution ON rm_room_terms (institution_id);
CREATE TABLE IF NOT EXISTS rm_city_class_rules (city_id uuid PRIMARY KEY, rules jsonb NOT NULL);
"""
# The rooms named, and those of the cities named, to the size and ratio in force.
_IN_FORCE = """
UPDATE rm_rooms r SET
    capacity = least(r.set_capacity, coalesce(own.size, r.set_capacity)),
    children_per_carer = least(r.set_children_per_carer, coalesce(own.ratio, r.set_children_per_carer))
FROM (
    SELECT r2.id, (c.rules -> r2.class_type ->> 'max_class_size')::int AS size,
           (c.rules -> r2.class_type ->> 'children_per_carer')::int AS ratio
    FROM rm_rooms r2 JOIN rm_institutions i ON i.id = r2.institution_id
    LEFT JOIN rm_city_class_rules c ON c.city_id = i.city_id
    WHERE r2.id = ANY($1::uuid[]) OR i.city_id = ANY($2::uuid[])
) AS own
WHERE r.id = own.id
"""

_json = msgspec.json.Encoder()


def _to_json(intervals: Any) -> str:
    return _json.encode(intervals).decode()


_DEFAULT_POLICY = _to_json(DEFAULT_REFUND_POLICY)
_offers = msgspec.json.Decoder(list[CareOffer])
_local_rules = msgspec.json.Decoder(dict[ClassType, LocalClassRule])


def local_rules_from(raw: str | None) -> dict[ClassType, LocalClassRule]:
    """A city's own class rules from its rm_city_class_rules row (none: national rules)."""
    return _local_rules.decode(raw) if raw else {}


_shifts = msgspec.json.Decoder(list[Shift])


def room_offers(raw: str | None) -> list[CareOffer]:
    """The offers of an rm_room_terms row, every weekday's, in published order."""
    return _offers.decode(raw or "[]")


def room_shifts(raw: str | None) -> list[Shift]:
    """The shifts of an rm_room_terms row, every weekday's."""
    return _shifts.decode(raw or "[]")


def offers_on(offers: list[CareOffer], weekday: int) -> list[CareOffer]:
    """The offers bookable on an ISO weekday, in published order."""
    return [o for o in offers if weekday in o.weekdays]


def shifts_on(shifts: list[Shift], weekday: int) -> list[Shift]:
    """The shifts planned on an ISO weekday."""
    return [s for s in shifts if s.weekday == weekday]


_UPSERT_TERMS = (
    "INSERT INTO rm_room_terms (room_id, institution_id, {column})"
    " SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[]::jsonb[])"
    " ON CONFLICT (room_id) DO UPDATE SET {column} = excluded.{column}"
)


async def apply(conn: asyncpg.Connection, batch: Sequence[Envelope]) -> None:
    institutions: dict[UUID, list[Any]] = {}
    hours: dict[UUID, str] = {}
    rooms: dict[UUID, tuple[Any, ...]] = {}
    staff: dict[tuple[UUID, UUID], tuple[str, int] | None] = {}  # (role, since) or detached
    # detached, or given another role, within this batch: the row is written afresh
    detached: set[tuple[UUID, UUID]] = set()
    policies: dict[UUID, str] = {}
    offers: dict[UUID, tuple[UUID, UUID, str]] = {}
    shifts: dict[UUID, tuple[UUID, UUID, str]] = {}
    closures: list[tuple[Any, ...]] = []
    settings: dict[UUID, tuple[Any, ...]] = {}
    city_rules: dict[UUID, str] = {}
    for envelope in batch:
        event = envelope.event
        iid = event.originator_id
        if isinstance(event, City.ClassRulesSet):
            city_rules[iid] = _to_json({rule.class_type: rule for rule in event.rules})
        elif isinstance(event, Institution.Registered):
            loc = event.location
            institutions[iid] = [
                iid, event.name, event.city_id, event.district_code, event.town, loc.address,
                loc.lat, loc.lng, event.category.value, event.ownership.value, event.puhui,
                event.filed_places, event.timezone, _to_json(event.opening_hours),
                event.timestamp, envelope.position, _DEFAULT_POLICY,
            ]  # fmt: skip
        elif isinstance(event, Institution.OpeningHoursChanged):
            if iid in institutions:
                institutions[iid][13] = _to_json(event.opening_hours)
            else:
                hours[iid] = _to_json(event.opening_hours)
        elif isinstance(event, Institution.RoomAdded | Institution.RoomChanged):
            room = event.room
            rooms[room.room_id] = (
                room.room_id, iid, room.name, room.class_type.value, room.capacity,
                room.children_per_carer, room.capacity, room.children_per_carer,
            )  # fmt: skip
        elif isinstance(event, Institution.StaffAttached):
            key, role = (iid, event.account_id), event.role.value
            held = staff.get(key)
            if held is None or held[0] != role:  # the same role again: held since the first
                if key in staff:  # detached or another role earlier in this batch: afresh
                    detached.add(key)
                staff[key] = (role, envelope.position)
        elif isinstance(event, Institution.StaffDetached):
            staff[(iid, event.account_id)] = None
            detached.add((iid, event.account_id))
        elif isinstance(event, Institution.RefundPolicyPublished):
            if iid in institutions:
                institutions[iid][16] = _to_json(event.policy)
            else:
                policies[iid] = _to_json(event.policy)
        elif isinstance(event, Institution.CareOffersPublished):
            offers[event.room_id] = (event.room_id, iid, _to_json(event.offers))
        elif isinstance(event, Institution.RosterPlanned):
            shifts[event.room_id] = (event.room_id, iid, _to_json(event.shifts))
        elif isinstance(event, Institution.BookingSettingsChanged):
            s = event.settings
            settings[iid] = (iid, *msgspec.structs.astuple(s))
        elif isinstance(event, Institution.ClosureAnnounced):
            closures.append((iid, event.room_id, event.day, event.reason))
    if institutions:
        await conn.executemany(
            "INSERT INTO rm_institutions VALUES"
            " ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14::jsonb,$15,$16,$17::jsonb)"
            " ON CONFLICT (id) DO NOTHING",
            list(institutions.values()),
        )
    if hours:
        await conn.executemany(
            "UPDATE rm_institutions SET opening_hours = $2::jsonb WHERE id = $1",
            list(hours.items()),
        )
    if rooms:
        await conn.execute(
            "INSERT INTO rm_rooms SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[],"
            " $4::text[], $5::int[], $6::int[], $7::int[], $8::int[]) ON CONFLICT (id) DO UPDATE"
            " SET name = excluded.name, class_type = excluded.class_type,"
            " capacity = excluded.capacity, children_per_carer = excluded.children_per_carer,"
            " set_capacity = excluded.set_capacity,"
            " set_children_per_carer = excluded.set_children_per_carer",
            *map(list, zip(*rooms.values(), strict=True)),
        )
    if city_rules:
        await conn.executemany(
            "INSERT INTO rm_city_class_rules VALUES ($1, $2::jsonb)"
            " ON CONFLICT (city_id) DO UPDATE SET rules = excluded.rules",
            list(city_rules.items()),
        )
    if rooms or city_rules:
        await conn.execute(_IN_FORCE, list(rooms), list(city_rules))
    if policies:
        await conn.executemany(
            "UPDATE rm_institutions SET refund_policy = $2::jsonb WHERE id = $1",
            list(policies.items()),
        )
    for column, terms in (("offers", offers), ("shifts", shifts)):
        if terms:
            await conn.execute(
                _UPSERT_TERMS.format(column=column), *map(list, zip(*terms.values(), strict=True))
            )
    if detached:  # first: one detached and attached again in the batch holds from the attach
        await conn.executemany(
            "DELETE FROM rm_institution_staff WHERE institution_id = $1 AND account_id = $2",
            list(detached),
        )
    upserts = [(i, a, *held) for (i, a), held in staff.items() if held is not None]
    if upserts:
        await conn.executemany(
            "INSERT INTO rm_institution_staff VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (institution_id, account_id) DO UPDATE SET role = excluded.role,"
            " since = CASE WHEN rm_institution_staff.role = excluded.role"
            " THEN rm_institution_staff.since ELSE excluded.since END",
            upserts,
        )
    if closures:
        await conn.executemany("INSERT INTO rm_closures VALUES ($1, $2, $3, $4)", closures)
    if settings:
        await conn.executemany(
            "INSERT INTO rm_booking_settings VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT (institution_id) DO UPDATE SET"
            " no_show_after_minutes = excluded.no_show_after_minutes,"
            " waitlist_offer_minutes = excluded.waitlist_offer_minutes,"
            " check_in_tolerance_minutes = excluded.check_in_tolerance_minutes,"
            " uncollected_after_minutes = excluded.uncollected_after_minutes,"
            " escalate_every_minutes = excluded.escalate_every_minutes,"
            " nap_check_minutes = excluded.nap_check_minutes",
            list(settings.values()),
        )
