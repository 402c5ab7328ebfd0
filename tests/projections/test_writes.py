"""A read model's writes: one statement per event, as few round trips as order per key allows."""

from __future__ import annotations

from typing import Any

import asyncpg

from projections.attendance import _CHILD_DAY, _CHILD_IN, _CHILD_OUT
from projections.attendance_feed import FEED
from projections.writes import TableWrite, Writes, combined, rounds, write_together


def test_interleaved_arrivals_and_departures_of_different_children_go_in_one_round():
    w = Writes()
    w.add(("child", "a"), (_CHILD_IN, ("day", "a", "room")))
    w.add(("child", "b"), (_CHILD_OUT, ("day", "b")))
    w.add(("child", "c"), (_CHILD_IN, ("day", "c", "room")))
    w.add(("child", "d"), (_CHILD_OUT, ("day", "d")))
    assert rounds(w.ops) == [
        {_CHILD_IN: [("day", "a", "room"), ("day", "c", "room")],
         _CHILD_OUT: [("day", "b"), ("day", "d")]},
    ]  # fmt: skip


def test_one_child_s_arrival_departure_and_return_keep_their_order():
    w = Writes()
    w.add(("child", "a"), (_CHILD_IN, ("day", "a", "room 1")))
    w.add(("child", "b"), (_CHILD_IN, ("day", "b", "room 1")))
    w.add(("child", "a"), (_CHILD_OUT, ("day", "a")))
    w.add(("child", "a"), (_CHILD_IN, ("day", "a", "room 2")))
    assert rounds(w.ops) == [
        {_CHILD_IN: [("day", "a", "room 1"), ("day", "b", "room 1")]},
        {_CHILD_OUT: [("day", "a")]},
        {_CHILD_IN: [("day", "a", "room 2")]},
    ]


def test_an_event_s_statements_become_one_with_their_parameters_renumbered():
    sql = combined((_CHILD_OUT, FEED))
    assert sql.startswith("WITH w0 AS (DELETE FROM rm_live_children WHERE day_id = $1")
    assert "INSERT INTO rm_occupancy_feed VALUES ($3, $4, $5, $6)" in sql
    w = Writes()
    w.add(("child", "a"), (_CHILD_OUT, ("day", "a")), (FEED, (7, "inst", "kind", "{}")))
    w.add(("child", "b"), (_CHILD_OUT, ("day", "b")), (FEED, (8, "inst", "kind", "{}")))
    assert rounds(w.ops) == [
        {sql: [("day", "a", 7, "inst", "kind", "{}"), ("day", "b", 8, "inst", "kind", "{}")]}
    ]


def test_lines_of_a_child_s_day_keyed_by_their_position_share_a_round():
    w = Writes()
    for position in (1, 2, 3):
        w.add(("line", position), (_CHILD_DAY, ("child", "day", position)))
    assert len(rounds(w.ops)) == 1


class _Sent:
    """A real connection that also notes each statement it is sent."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn, self.sent = conn, []

    async def execute(self, sql: str, *args: Any) -> str:
        self.sent.append(sql)
        return str(await self.conn.execute(sql, *args))


async def test_writes_to_distinct_tables_go_as_one_statement_until_one_reads_what_the_group_wrote(
    pool: asyncpg.Pool,
):
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "CREATE TEMP TABLE days (id int PRIMARY KEY, day text);"
            " CREATE TEMP TABLE visits (id int PRIMARY KEY, day text, status text);"
            " CREATE TEMP TABLE history (id int, status text)"
        )  # fmt: skip
        recorded = _Sent(conn)
        await write_together(recorded, [
            TableWrite("days", "INSERT INTO days VALUES ($1, $2)", (1, "monday")),
            TableWrite("visits", "INSERT INTO visits SELECT $1, d.day, 'booked' FROM days d"
                       " WHERE d.id = $2", (10, 1), reads=frozenset({"days"})),
            TableWrite("history", "INSERT INTO history VALUES ($1, 'booked')", (10,)),
            TableWrite("visits", "UPDATE visits SET status = $1 WHERE id = $2", ("done", 10)),
            TableWrite("history", "INSERT INTO history VALUES ($1, $2)", (10, "done")),
        ])  # fmt: skip
        assert len(recorded.sent) == 3  # [days] [visits, history] [visits, history]
        assert recorded.sent[1].startswith("WITH w0 AS (INSERT INTO visits")
        assert [tuple(r) for r in await conn.fetch("SELECT * FROM visits")] == [
            (10, "monday", "done")
        ]
        history = await conn.fetch("SELECT status FROM history ORDER BY status")
        assert [r[0] for r in history] == ["booked", "done"]
