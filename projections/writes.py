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
from collections.abc import Hashable
from functools import lru_cache, partial
from typing import Any

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
