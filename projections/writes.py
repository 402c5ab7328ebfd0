"""A read model's writes for one batch, in as few round trips as their order allows.

Each write is an event's statements, made into one (data-modifying CTEs, one per table: a
check-in's live place, day line, register line and feed row go as a single statement), with a
key naming the rows it touches ("child", day, child …). Writes on different keys commute, so
they go in rounds: the k-th write on a key in round k. Within a round, each kind of statement
goes as one executemany (one round trip for all its rows). A batch of interleaved check-ins
and check-outs is then two round trips, not a few per event.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from functools import lru_cache, partial
from typing import Any, NamedTuple

import asyncpg

Statement = tuple[str, tuple[Any, ...]]
_PARAM = re.compile(r"\$(\d+)")


class Writes:
    def __init__(self) -> None:
        self.ops: list[tuple[Hashable, str, tuple[Any, ...]]] = []

    def add(self, key: Hashable, *statements: Statement) -> None:
        """The statements of one event, each on its own table, touching only `key`'s rows (or
        rows of their own, like a feed row at the event's position)."""
        if len(statements) == 1:
            sql, args = statements[0]
        else:
            sql = combined(tuple(s for s, _ in statements))
            args = tuple(a for _, each in statements for a in each)
        self.ops.append((key, sql, args))

    async def flush(self, conn: asyncpg.Connection) -> None:
        for statements in rounds(self.ops):
            for sql, rows in statements.items():
                await conn.executemany(sql, rows)


class TableWrite(NamedTuple):
    """One statement writing one table (its rows given as arrays, say), reading `reads` too."""

    table: str
    sql: str
    args: tuple[Any, ...]
    reads: frozenset[str] = frozenset()


async def write_together(conn: asyncpg.Connection, writes: Sequence[TableWrite]) -> None:
    """The statements in order, in as few round trips as that order allows: consecutive ones
    go as one statement (data-modifying CTEs, `combined`) until one writes a table the group
    writes or reads, or reads one it writes, since one statement does not see its own
    changes. A step's booking changes and their history lines are then one round trip."""
    group: list[TableWrite] = []
    for write in writes:
        written = {g.table for g in group}
        read = {t for g in group for t in g.reads}
        if write.table in written | read or not write.reads.isdisjoint(written):
            await _run_together(conn, group)
            group = []
        group.append(write)
    await _run_together(conn, group)


async def _run_together(conn: asyncpg.Connection, group: list[TableWrite]) -> None:
    if len(group) == 1:
        await conn.execute(group[0].sql, *group[0].args)
    elif group:
        sql = combined(tuple(g.sql for g in group))
        await conn.execute(sql, *(a for g in group for a in g.args))


def rounds(
    ops: list[tuple[Hashable, str, tuple[Any, ...]]],
) -> list[dict[str, list[tuple[Any, ...]]]]:
    """The writes as rounds of {statement: argument rows}, in order for each key."""
    seen: dict[Hashable, int] = {}
    out: list[dict[str, list[tuple[Any, ...]]]] = []
    for key, sql, args in ops:
        n = seen[key] = seen.get(key, -1) + 1
        if n == len(out):
            out.append({})
        out[n].setdefault(sql, []).append(args)
    return out


@lru_cache(maxsize=128)
def combined(sqls: tuple[str, ...]) -> str:
    """One statement running `sqls` (DML on distinct tables) with their parameters renumbered
    in turn: the arguments are the statements' arguments, concatenated."""
    parts, offset = [], 0
    for sql in sqls:
        used = max((int(n) for n in _PARAM.findall(sql)), default=0)
        parts.append(_PARAM.sub(partial(_shifted, by=offset), sql))
        offset += used
    *first, last = parts
    return "WITH " + ", ".join(f"w{i} AS ({p})" for i, p in enumerate(first)) + " " + last


def _shifted(match: re.Match[str], by: int) -> str:
    return f"${int(match.group(1)) + by}"
