"""Each child's data key, kept beside (not in) the append-only event store.

A child's personal fields (name, birth date, health records, the adults who may collect it,
medication) are stored sealed with AES-256-GCM under a key of its own, in `child_data_keys`.
Erasing the child destroys the row: every event and snapshot sealed with it, in the table, in
backups and on replicas, becomes unreadable (crypto-shredding; docs/adr/0012). The sealed data
is bound to its stream and topic (associated data), so it cannot be moved to another child.

The process keeps the keys it has seen; a read that meets sealed data of a child it has not
seen first fetches its key (`ensure`): in the same round trip for aggregate loads, in one
query per page for read models. A key absent from the table after `ensure` reads as erased.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable
from uuid import UUID

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class KeyNotLoaded(RuntimeError):
    """Sealed data met before its child's key was fetched: a read path that skipped `ensure`."""


class ChildKeys:
    def __init__(self) -> None:
        # child id -> its cipher, or None: no key in the table (erased)
        self._ciphers: dict[UUID, AESGCM | None] = {}

    def knows(self, child_id: UUID) -> bool:
        return child_id in self._ciphers

    def can_seal(self, child_id: UUID) -> bool:
        return self._ciphers.get(child_id) is not None

    def learn(self, child_id: UUID, key: bytes | None) -> None:
        self._ciphers[child_id] = None if key is None else AESGCM(bytes(key))

    def forget(self, child_id: UUID) -> None:
        """Drop a key this process holds (the child was erased, perhaps by another process)."""
        self._ciphers[child_id] = None

    async def ensure(self, conn: asyncpg.Connection | asyncpg.Pool, ids: Iterable[UUID]) -> None:
        """Fetch the keys of these children that this process has not seen, in one query."""
        missing = list({i for i in ids if i not in self._ciphers})
        if not missing:
            return
        rows = await conn.fetch(
            "SELECT child_id, key FROM child_data_keys WHERE child_id = ANY($1::uuid[])", missing
        )
        found = {r["child_id"]: r["key"] for r in rows}
        for child_id in missing:
            self.learn(child_id, found.get(child_id))

    async def create(self, conn: asyncpg.Connection | asyncpg.Pool, child_id: UUID) -> None:
        """A new child's key, stored before anything sealed with it is."""
        await self.create_many(conn, [child_id])

    async def create_many(
        self, conn: asyncpg.Connection | asyncpg.Pool, child_ids: list[UUID]
    ) -> None:
        """New children's keys in one statement (a key already stored is kept)."""
        keys = [AESGCM.generate_key(bit_length=256) for _ in child_ids]
        rows = await conn.fetch(
            "INSERT INTO child_data_keys (child_id, key)"
            " SELECT * FROM unnest($1::uuid[], $2::bytea[])"
            " ON CONFLICT (child_id) DO UPDATE SET created_at = now()"
            " RETURNING child_id, key",
            child_ids,
            keys,
        )
        for row in rows:
            self.learn(row["child_id"], row["key"])

    async def sweep_unused(self, conn: asyncpg.Connection | asyncpg.Pool) -> int:
        """Delete keys that sealed nothing an hour on: made for a registration that was then
        not recorded (a replayed request, a failure). They hold nothing personal."""
        deleted = await conn.fetchval(
            "WITH gone AS (DELETE FROM child_data_keys k"
            " WHERE k.created_at < now() - interval '1 hour'"
            " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.stream_id = k.child_id)"
            " RETURNING 1) SELECT count(*) FROM gone"
        )
        return int(deleted)

    async def destroy(self, conn: asyncpg.Connection | asyncpg.Pool, child_id: UUID) -> None:
        """Erase: the key goes, and with it every copy of the data it sealed."""
        await conn.execute("DELETE FROM child_data_keys WHERE child_id = $1", child_id)
        self.forget(child_id)

    def seal(self, child_id: UUID, topic: str, plain: bytes) -> bytes:
        """`plain` sealed with the child's key, bound to its stream and the row's topic (an
        event's or a snapshot's), so it opens nowhere else."""
        cipher = self._cipher(child_id)
        if cipher is None:
            raise KeyNotLoaded(f"child {child_id} has no data key (erased?): nothing to seal with")
        nonce = os.urandom(NONCE_BYTES)
        return nonce + cipher.encrypt(nonce, plain, _bound_to(child_id, topic))

    def open(self, child_id: UUID, topic: str, sealed: bytes | str) -> bytes | None:
        """The plain data, or None when the child's key was destroyed. `sealed` as stored:
        bytes, or their base64 text in a JSON row."""
        cipher = self._cipher(child_id)
        if cipher is None:
            return None
        raw = base64.b64decode(sealed) if isinstance(sealed, str) else sealed
        try:
            return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _bound_to(child_id, topic))
        except InvalidTag as error:
            raise ValueError(f"sealed data of child {child_id} does not open: tampered?") from error

    def _cipher(self, child_id: UUID) -> AESGCM | None:
        try:
            return self._ciphers[child_id]
        except KeyError:
            raise KeyNotLoaded(f"the data key of child {child_id} was not fetched") from None


def _bound_to(stream_id: UUID, topic: str) -> bytes:
    """Associated data of a sealed payload: it opens only on its own stream and topic."""
    return stream_id.bytes + topic.encode()
