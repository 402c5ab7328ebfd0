"""How a process learns of every child's erasure, whichever process recorded or applied it, and
drops what it holds of the child in memory: its data key and its cached aggregate (ADR 0012).

The process that records an erasure forgets the key itself (`EventStore.destroy_child_key`).
Any other process may hold both from an earlier command about the child: a key kept in memory
would still open the child's sealed events, and a cached `Child` holds its name, birth date and
health records in plain, until restart. The `children` read model is where an erasure is applied
(its step deletes the key from the table), and every server process follows it: an erasure its
own live step applied is among the step's events; one that another process's step applied lies
between what this process knew of the model's checkpoint and the checkpoint it now reads, and is
read from the events there (by position, one query, only when another process moved the model).

From the model's checkpoint when the process starts: an erasure before it had deleted its key
from the table already, and a child loaded since reads as erased.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID

import asyncpg
from eventsourcing.utils import get_topic

from domain.child.aggregate import Child
from projections import children
from projections.base import Envelope

APPLIED_BY = children.name  # the read model whose steps apply erasures (and delete the key)
_CHECKPOINT = "SELECT position FROM projection_checkpoints WHERE name = $1"
_ERASED = (
    "SELECT DISTINCT stream_id FROM events WHERE position > $1 AND position <= $2 AND topic = $3"
)
_TOPIC = get_topic(Child.DataErased)


async def children_erased_between(pool: asyncpg.Pool, after: int, up_to: int) -> list[UUID]:
    """The children whose erasure was recorded at a position in (after, up_to]."""
    rows = await pool.fetch(_ERASED, after, up_to, _TOPIC)
    return [row["stream_id"] for row in rows]


Forget = Callable[[Sequence[UUID]], None]  # must not raise: the step is committed


class ErasuresHeard:
    """Up to which position of the `children` model this process knows every erasure, and who
    is told of the children erased past it."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self.known_to: int | None = None  # None: not started (the first step sets it)
        self._told: list[Forget] = []

    def tell(self, forget: Forget) -> None:
        """Have `forget(children)` told of the children erased, as soon as this process knows."""
        self._told.append(forget)

    async def begin(self) -> None:
        """Know erasures from the model's checkpoint now on (before the process reads anything)."""
        if self.known_to is None:
            self.known_to = int(await self._pool.fetchval(_CHECKPOINT, APPLIED_BY) or 0)

    async def heard(
        self, own: tuple[int, int, Sequence[Envelope]] | None, reached: int | None
    ) -> None:
        """After a live step: `own` is (after, up to, its events) if this process's step moved
        the model, `reached` the model's checkpoint as the step left it (None: no such model)."""
        if reached is None:
            return
        after, up_to, events = own if own is not None else (reached, reached, ())
        erased = [e.event.originator_id for e in events if isinstance(e.event, Child.DataErased)]
        if self.known_to is None:
            self.known_to = after
        if after > self.known_to:  # another process's steps came between
            erased += await children_erased_between(self._pool, self.known_to, after)
        self.known_to = max(self.known_to, up_to)
        if erased:
            for forget in self._told:
                forget(erased)
