"""Read model `children`: each child's minimum identity and who their guardians are.

Handles Child.Registered, ProfileCorrected, GuardianAdded, PickupAdultAuthorised,
PickupAdultWithdrawn, CollectionBlocked (a person who must not collect is no pick-up adult) and
DataErased; tables rm_children, rm_child_names, rm_child_guardians, rm_child_pickup_adults.
Only what screens and access checks need is kept (PIPL art. 28: minimum); consent purposes and
holds stay in the event stream.

`rm_child_names` keeps each name the child had from the position it was given (registered,
then corrected): a notice names the child as it was called at the notice's position, so a
rebuild of the notices after a correction gives the same rows as live (docs/adr/0025).

On DataErased the child's row, names and pick-up adults go (who its guardians were stays: it names no
one, and lets a guardian's repeated request be answered); and, in the same transaction, its
data key and snapshots, should the erasing request have stopped after recording the event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from domain.child.aggregate import Child
from projections.base import Envelope

name = "children"
handles: tuple[type, ...] = (
    Child.Registered, Child.ProfileCorrected, Child.GuardianAdded, Child.PickupAdultAuthorised,
    Child.PickupAdultWithdrawn, Child.CollectionBlocked, Child.DataErased,
)  # fmt: skip
tables = ("rm_children", "rm_child_names", "rm_child_guardians", "rm_child_pickup_adults")
schema = """
CREATE TABLE IF NOT EXISTS rm_children (
    id uuid PRIMARY KEY, name text NOT NULL, birth_date date NOT NULL, sex text NOT NULL,
    registered_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS rm_child_names (
    child_id uuid NOT NULL, since bigint NOT NULL, name text NOT NULL,
    PRIMARY KEY (child_id, since)
);
CREATE TABLE IF NOT EXISTS rm_child_guardians (
    child_id uuid NOT NULL, account_id uuid NOT NULL,
    since bigint NOT NULL,  -- position from which they are its guardian (notices address by it)
    PRIMARY KEY (child_id, account_id)
);
CREATE INDEX IF NOT EXISTS rm_child_guardians_account ON rm_child_guardians (account_id);
CREATE INDEX IF NOT EXISTS rm_children_registered ON rm_children (registered_at, id);
CREATE TABLE IF NOT EXISTS rm_child_pickup_adults (
    child_id uuid NOT NULL, name text NOT NULL, phone text NOT NULL, relation text NOT NULL,
    position bigint NOT NULL, PRIMARY KEY (child_id, phone)
);
"""


Profile = tuple[UUID, str, date, str]  # id, name, birth date, sex


async def apply(conn: asyncpg.Connection, batch: Sequence[Envelope]) -> None:
    children: dict[UUID, tuple[UUID, str, date, str, datetime]] = {}
    corrected: dict[UUID, Profile] = {}  # the last correction in the batch
    names: list[tuple[UUID, int, str]] = []
    guardians: dict[tuple[UUID, UUID], int] = {}  # → since (position)
    # (child, phone) → the adult as last authorised in the batch, or None: withdrawn or blocked
    adults: dict[tuple[UUID, str], tuple[UUID, str, str, str, int] | None] = {}
    erased: list[UUID] = []
    for envelope in batch:
        e = envelope.event
        cid = e.originator_id
        if isinstance(e, Child.Registered):
            children.setdefault(cid, (cid, e.name, e.birth_date, e.sex.value, e.timestamp))
            names.append((cid, envelope.position, e.name))
            for account_id in e.guardians:
                guardians.setdefault((cid, account_id), envelope.position)
        elif isinstance(e, Child.ProfileCorrected):
            corrected[cid] = (cid, e.name, e.birth_date, e.sex.value)
            names.append((cid, envelope.position, e.name))
        elif isinstance(e, Child.GuardianAdded):
            guardians.setdefault((cid, e.account_id), envelope.position)
        elif isinstance(e, Child.DataErased):
            erased.append(cid)
        elif isinstance(e, Child.CollectionBlocked):
            adults[cid, e.person.phone] = None
        elif isinstance(e, Child.PickupAdultWithdrawn):
            adults[cid, e.phone] = None
        else:
            a = e.adult
            adults[cid, a.phone] = (cid, a.name, a.phone, a.relation, envelope.position)
    if children:
        await conn.execute(
            "INSERT INTO rm_children SELECT * FROM unnest($1::uuid[], $2::text[], $3::date[],"
            " $4::text[], $5::timestamptz[]) ON CONFLICT (id) DO NOTHING",
            *map(list, zip(*children.values(), strict=True)),
        )
    if corrected:
        await conn.executemany(
            "UPDATE rm_children SET name = $2, birth_date = $3, sex = $4 WHERE id = $1",
            list(corrected.values()),
        )
    if names:
        await conn.executemany(
            "INSERT INTO rm_child_names VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", names
        )
    if guardians:
        await conn.execute(
            "INSERT INTO rm_child_guardians SELECT * FROM unnest($1::uuid[], $2::uuid[],"
            " $3::bigint[]) ON CONFLICT DO NOTHING",
            [c for c, _ in guardians],
            [a for _, a in guardians],
            list(guardians.values()),
        )
    if adults:
        await _pickup_adults_changed(conn, adults)
    if erased:
        await conn.execute(
            "WITH c AS (DELETE FROM rm_children WHERE id = ANY($1::uuid[])),"
            " n AS (DELETE FROM rm_child_names WHERE child_id = ANY($1::uuid[])),"
            " a AS (DELETE FROM rm_child_pickup_adults WHERE child_id = ANY($1::uuid[])),"
            " s AS (DELETE FROM snapshots WHERE stream_id = ANY($1::uuid[]))"
            " DELETE FROM child_data_keys WHERE child_id = ANY($1::uuid[])",
            erased,
        )


async def _pickup_adults_changed(
    conn: asyncpg.Connection,
    adults: dict[tuple[UUID, str], tuple[UUID, str, str, str, int] | None],
) -> None:
    """Each (child, phone) as the batch left it: authorised (at its last authorisation's
    position), or withdrawn or blocked (no row)."""
    await conn.executemany(
        "DELETE FROM rm_child_pickup_adults WHERE child_id = $1 AND phone = $2", list(adults)
    )
    kept = [row for row in adults.values() if row is not None]
    if kept:
        await conn.executemany(
            "INSERT INTO rm_child_pickup_adults VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            kept,
        )


async def pickup_adults(
    conn: asyncpg.Connection | asyncpg.Pool, child_id: UUID
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT name, phone, relation FROM rm_child_pickup_adults WHERE child_id = $1"
        " ORDER BY position",
        child_id,
    )
    return [dict(r) for r in rows]


async def list_for_guardian(
    conn: asyncpg.Connection | asyncpg.Pool, account_id: UUID
) -> list[dict[str, Any]]:
    """The children this account is a guardian of, eldest first: id, name, birth_date, sex."""
    rows = await conn.fetch(
        "SELECT c.id, c.name, c.birth_date, c.sex FROM rm_child_guardians g"
        " JOIN rm_children c ON c.id = g.child_id WHERE g.account_id = $1"
        " ORDER BY c.birth_date, c.name, c.id",
        account_id,
    )
    return [dict(r) for r in rows]


async def get_child(
    conn: asyncpg.Connection | asyncpg.Pool, child_id: UUID
) -> dict[str, Any] | None:
    """id, name, birth_date, sex, registered_at and "guardians" (account ids), or None."""
    row = await conn.fetchrow(
        "SELECT c.*, coalesce((SELECT array_agg(g.account_id ORDER BY g.account_id)"
        " FROM rm_child_guardians g WHERE g.child_id = c.id), '{}') AS guardians"
        " FROM rm_children c WHERE c.id = $1",
        child_id,
    )
    if row is None:
        return None
    child = dict(row)
    child["guardians"] = list(child["guardians"])
    return child


async def is_guardian(
    conn: asyncpg.Connection | asyncpg.Pool, child_id: UUID, account_id: UUID
) -> bool:
    found = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM rm_child_guardians WHERE child_id = $1 AND account_id = $2)",
        child_id,
        account_id,
    )
    return bool(found)


# Staff see the least they need (RULES.md): an institution's staff see a child's data while it
# cares for the child, and for this long after its last care there (an incident to follow up,
# a refund to settle), not forever because of one visit years ago.
STAFF_ACCESS_AFTER_CARE = timedelta(days=30)


async def in_care_of_staff(
    conn: asyncpg.Connection | asyncpg.Pool, child_id: UUID, account_id: UUID, now: datetime
) -> bool:
    """Whether `account_id` is on the staff of an institution that cares for the child: one
    where it holds a booking that was not cancelled, or a regular place (enrolment), that has
    not ended, or ended within STAFF_ACCESS_AFTER_CARE of `now`."""
    since = now - STAFF_ACCESS_AFTER_CARE
    found = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM rm_institution_staff s WHERE s.account_id = $2"
        " AND s.institution_id IN (SELECT institution_id FROM rm_bookings"
        " WHERE child_id = $1 AND status <> 'cancelled' AND ends_at >= $3"
        " UNION SELECT institution_id FROM rm_enrolments WHERE child_id = $1"
        " AND last_day >= $3::date))",
        child_id,
        account_id,
        since,
    )
    return bool(found)


# Hourly. It walks the children registered before the cutoff, oldest first, and looks up each
# one's care by its child (rm_bookings_child, rm_enrolments_child): the work grows with the
# children old enough to be candidates (few: children leave 0–3 care by the age of three),
# not with every booking ever made, which a GROUP BY over rm_bookings read each time.
PAST_RETENTION = (
    "SELECT c.id FROM rm_children c WHERE c.registered_at < $1"
    " AND NOT EXISTS (SELECT 1 FROM rm_bookings b WHERE b.child_id = c.id"
    "   AND b.status <> 'cancelled' AND b.ends_at >= $1)"
    " AND NOT EXISTS (SELECT 1 FROM rm_enrolments e WHERE e.child_id = c.id"
    "   AND (e.last_day + 1)::timestamptz >= $1)"
    " ORDER BY c.registered_at, c.id LIMIT $2"
)


async def past_retention(
    conn: asyncpg.Connection | asyncpg.Pool, cutoff: datetime, limit: int = 500
) -> list[UUID]:
    """Children whose registration and last care (a booking's end not cancelled, a regular
    place's last day) are all before `cutoff`: candidates for erasure after retention. The
    child's own aggregate decides (it also knows its visits)."""
    rows = await conn.fetch(PAST_RETENTION, cutoff, limit)
    return [r["id"] for r in rows]
