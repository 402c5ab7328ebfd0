"""Read model `child_arrangements`: what the guardians arranged for a child's days, as its
profile shows it: one-day delegates, the "must not collect" list, medication authorisations.

Handles Child.PickupDelegated, PickupDelegationWithdrawn, CollectionBlocked,
CollectionBlockLifted, MedicationAuthorised, MedicationAuthorisationWithdrawn and DataErased;
tables rm_child_delegates, rm_child_blocked, rm_child_medication. A withdrawn or lifted
arrangement is deleted (the child's stream keeps its history); which delegates and
authorisations are still ahead is asked of the day at query time, so that a rebuild gives the
same rows whenever it runs. On DataErased the child's rows go (docs/adr/0012).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from domain.child.aggregate import Child
from projections.base import Envelope, erasures_apart

name = "child_arrangements"
handles: tuple[type, ...] = (
    Child.PickupDelegated, Child.PickupDelegationWithdrawn, Child.CollectionBlocked,
    Child.CollectionBlockLifted, Child.MedicationAuthorised,
    Child.MedicationAuthorisationWithdrawn, Child.DataErased,
)  # fmt: skip
tables = ("rm_child_delegates", "rm_child_blocked", "rm_child_medication")
schema = """
CREATE TABLE IF NOT EXISTS rm_child_delegates (
    child_id uuid NOT NULL, phone text NOT NULL, day date NOT NULL, name text NOT NULL,
    position bigint NOT NULL, PRIMARY KEY (child_id, phone, day)
);
CREATE TABLE IF NOT EXISTS rm_child_blocked (
    child_id uuid NOT NULL, phone text NOT NULL, name text NOT NULL, reason text NOT NULL,
    position bigint NOT NULL, PRIMARY KEY (child_id, phone)
);
CREATE TABLE IF NOT EXISTS rm_child_medication (
    child_id uuid NOT NULL, authorisation_id uuid NOT NULL, medicine text NOT NULL,
    dose text NOT NULL, max_doses_per_day int NOT NULL, first_day date NOT NULL,
    last_day date NOT NULL, instructions text NOT NULL, position bigint NOT NULL,
    PRIMARY KEY (child_id, authorisation_id)
);
"""

# table → its key columns: a key's last event in a batch decides its row (None: no row)
_KEYS = {
    "rm_child_delegates": ("child_id", "phone", "day"),
    "rm_child_blocked": ("child_id", "phone"),
    "rm_child_medication": ("child_id", "authorisation_id"),
}


def _change(envelope: Envelope) -> tuple[str, tuple[Any, ...], tuple[Any, ...] | None]:
    """(table, key, row or None) of one event."""
    e, cid, pos = envelope.event, envelope.event.originator_id, envelope.position
    if isinstance(e, Child.PickupDelegated):
        d = e.delegate
        return "rm_child_delegates", (cid, d.phone, d.day), (cid, d.phone, d.day, d.name, pos)
    if isinstance(e, Child.PickupDelegationWithdrawn):
        return "rm_child_delegates", (cid, e.phone, e.day), None
    if isinstance(e, Child.CollectionBlocked):
        p = e.person
        return "rm_child_blocked", (cid, p.phone), (cid, p.phone, p.name, p.reason, pos)
    if isinstance(e, Child.CollectionBlockLifted):
        return "rm_child_blocked", (cid, e.phone), None
    if isinstance(e, Child.MedicationAuthorised):
        a = e.authorisation
        row = (cid, a.authorisation_id, a.medicine, a.dose, a.max_doses_per_day, a.first_day,
               a.last_day, a.instructions, pos)  # fmt: skip
        return "rm_child_medication", (cid, a.authorisation_id), row
    return "rm_child_medication", (cid, e.authorisation_id), None


async def apply(conn: asyncpg.Connection, batch: Sequence[Envelope]) -> None:
    changes, erased = erasures_apart(batch, Child.DataErased)
    latest: dict[str, dict[tuple[Any, ...], tuple[Any, ...] | None]] = {t: {} for t in _KEYS}
    for envelope in changes:
        table, key, row = _change(envelope)
        latest[table][key] = row
    for table, rows in latest.items():
        if not rows:
            continue
        keys = _KEYS[table]
        match = " AND ".join(f"{k} = ${i}" for i, k in enumerate(keys, 1))
        await conn.executemany(f"DELETE FROM {table} WHERE {match}", list(rows))
        kept = [row for row in rows.values() if row is not None]
        if kept:
            marks = ", ".join(f"${i}" for i in range(1, len(kept[0]) + 1))
            await conn.executemany(
                f"INSERT INTO {table} VALUES ({marks}) ON CONFLICT DO NOTHING", kept
            )
    if erased:
        await conn.execute(
            "WITH d AS (DELETE FROM rm_child_delegates WHERE child_id = ANY($1::uuid[])),"
            " b AS (DELETE FROM rm_child_blocked WHERE child_id = ANY($1::uuid[]))"
            " DELETE FROM rm_child_medication WHERE child_id = ANY($1::uuid[])",
            erased,
        )


async def of_child(
    conn: asyncpg.Connection | asyncpg.Pool, child_id: UUID, today: date
) -> dict[str, list[dict[str, Any]]]:
    """The child's delegates of `today` and later days ("delegates"), its must-not-collect list
    ("blocked") and the medication authorised for `today` or later ("medication"), each in the
    order it was arranged."""
    delegates = await conn.fetch(
        "SELECT name, phone, day FROM rm_child_delegates WHERE child_id = $1 AND day >= $2"
        " ORDER BY position",
        child_id,
        today,
    )
    blocked = await conn.fetch(
        "SELECT name, phone, reason FROM rm_child_blocked WHERE child_id = $1 ORDER BY position",
        child_id,
    )
    medication = await conn.fetch(
        "SELECT authorisation_id AS id, medicine, dose, max_doses_per_day, first_day, last_day,"
        " instructions FROM rm_child_medication WHERE child_id = $1 AND last_day >= $2"
        " ORDER BY position",
        child_id,
        today,
    )
    return {
        "delegates": [dict(r) for r in delegates],
        "blocked": [dict(r) for r in blocked],
        "medication": [dict(r) for r in medication],
    }
