"""Queries over the `institutions` read model: directory with distance, detail, admin view."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from domain.booking.terms import BookingSettings
from domain.class_types import ClassType, LocalClassRule
from projections.institutions import local_rules_from

# Great-circle distance in km (haversine) from ($1, $2) to the institution.
DISTANCE_KM = (
    "2 * 6371.0088 * asin(sqrt(power(sin(radians(i.lat - $1) / 2), 2)"
    " + cos(radians($1)) * cos(radians(i.lat)) * power(sin(radians(i.lng - $2) / 2), 2)))"
)
_ROOM_TOTALS = (
    "(SELECT coalesce(sum(r.capacity), 0) FROM rm_rooms r WHERE r.institution_id = i.id)"
    " AS room_places,"
    " (SELECT count(*) FROM rm_rooms r WHERE r.institution_id = i.id) AS room_count"
)


async def list_institutions(
    conn: asyncpg.Connection | asyncpg.Pool,
    *,
    district_code: str | None = None,
    category: str | None = None,
    puhui: bool | None = None,
    near: tuple[float, float] | None = None,
    radius_km: float | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the directory and the total count, nearest first when `near` is given."""
    lat, lng = near if near is not None else (0.0, 0.0)
    where = [
        "$1::double precision IS NOT NULL AND $2::double precision IS NOT NULL",
        "($3::text IS NULL OR i.district_code = $3)",
        "($4::text IS NULL OR i.category = $4)",
        "($5::boolean IS NULL OR i.puhui = $5)",
    ]
    distance = DISTANCE_KM if near is not None else "NULL::double precision"
    if near is not None and radius_km is not None:
        where.append(f"{DISTANCE_KM} <= $6")
    else:
        where.append("$6::double precision IS NULL")
    order = "distance_km, i.name, i.id" if near is not None else "i.name, i.id"
    sql = (
        f"SELECT i.*, {distance} AS distance_km, {_ROOM_TOTALS}, count(*) OVER () AS total"
        f" FROM rm_institutions i WHERE {' AND '.join(where)}"
        f" ORDER BY {order} LIMIT $7 OFFSET $8"
    )
    args = (lat, lng, district_code, category, puhui, radius_km)
    rows = await conn.fetch(sql, *args, limit, offset)
    if rows:
        total = int(rows[0]["total"])
    else:  # past the last page (or none): count without fetching
        where_sql = " AND ".join(where)
        total = await conn.fetchval(
            f"SELECT count(*) FROM rm_institutions i WHERE {where_sql}", *args
        )
    return [dict(r) for r in rows], int(total)


async def get_institution(
    conn: asyncpg.Connection | asyncpg.Pool, institution_id: UUID
) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT i.*, NULL::double precision AS distance_km, {_ROOM_TOTALS}"
        " FROM rm_institutions i WHERE i.id = $1",
        institution_id,
    )
    if row is None:
        return None
    rooms = await conn.fetch(
        "SELECT id, name, class_type, capacity, children_per_carer FROM rm_rooms"
        " WHERE institution_id = $1 ORDER BY name, id",
        institution_id,
    )
    return {**dict(row), "rooms": [dict(r) for r in rooms]}


async def list_staff(
    conn: asyncpg.Connection | asyncpg.Pool, institution_id: UUID
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT s.account_id, s.role, a.display_name, a.phone FROM rm_institution_staff s"
        " LEFT JOIN rm_accounts a ON a.id = s.account_id"
        " WHERE s.institution_id = $1 ORDER BY s.role, a.display_name, s.account_id",
        institution_id,
    )
    return [dict(r) for r in rows]


async def city_class_rules(
    conn: asyncpg.Connection | asyncpg.Pool, city_id: UUID
) -> tuple[str, dict[ClassType, LocalClassRule]] | None:
    """The city's name and its own class rules (rm_city_class_rules), or None if unknown."""
    row = await conn.fetchrow(
        "SELECT c.name, r.rules::text AS rules FROM rm_cities c"
        " LEFT JOIN rm_city_class_rules r ON r.city_id = c.id WHERE c.id = $1",
        city_id,
    )
    if row is None:
        return None
    return row["name"], local_rules_from(row["rules"])


async def booking_settings(
    conn: asyncpg.Connection | asyncpg.Pool, institution_id: UUID
) -> BookingSettings:
    """The institution's settings: as its admin last set them, else the defaults."""
    row = await conn.fetchrow(
        "SELECT no_show_after_minutes, waitlist_offer_minutes, check_in_tolerance_minutes,"
        " uncollected_after_minutes, escalate_every_minutes, nap_check_minutes"
        " FROM rm_booking_settings WHERE institution_id = $1",
        institution_id,
    )
    return BookingSettings() if row is None else BookingSettings(*row.values())
