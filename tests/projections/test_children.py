"""The `children` read model: each guardian sees their own children, and only those."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import asyncpg

from api_schema.common import CommandAccepted
from backend.eventstore.store import EventStore
from backend.unit_of_work import UnitOfWork
from domain.child.aggregate import Child, PickupAdult, Sex
from domain.child.care import BlockedCollector, Delegate
from domain.child.medication import MedicationAuthorisation
from projections import bookings, child_arrangements, children, enrolments
from tests.projections.booking_world import NOW, add_guardian, child, project, run


async def test_a_guardian_sees_their_children_eldest_first(store: EventStore):
    mother = uuid4()
    younger = await child(store, mother, date(2025, 3, 1), "小妹")
    elder = await child(store, mother, date(2024, 5, 20), "大哥")
    await child(store, uuid4(), date(2024, 1, 1), "别人家的")
    await project(store)

    listed = await children.list_for_guardian(store.pool, mother)

    assert [(c["id"], c["name"]) for c in listed] == [(elder, "大哥"), (younger, "小妹")]
    assert listed[0] == {
        "id": elder, "name": "大哥", "birth_date": date(2024, 5, 20), "sex": "female"
    }  # fmt: skip


async def test_an_added_guardian_sees_the_child_and_is_named_among_its_guardians(
    store: EventStore,
):
    mother, father = uuid4(), uuid4()
    kid = await child(store, mother, date(2025, 3, 1))
    await project(store)
    assert not await children.is_guardian(store.pool, kid, father)

    await add_guardian(store, kid, father)
    await project(store)

    assert await children.is_guardian(store.pool, kid, father)
    assert [c["id"] for c in await children.list_for_guardian(store.pool, father)] == [kid]
    found = await children.get_child(store.pool, kid)
    assert found is not None
    assert sorted(found["guardians"]) == sorted([mother, father])
    assert found["birth_date"] == date(2025, 3, 1) and found["registered_at"] is not None


async def test_a_stranger_is_no_guardian_and_an_unknown_child_is_not_found(store: EventStore):
    kid = await child(store, uuid4(), date(2025, 3, 1))
    await project(store)

    assert not await children.is_guardian(store.pool, kid, uuid4())
    assert await children.list_for_guardian(store.pool, uuid4()) == []
    assert await children.get_child(store.pool, uuid4()) is None


async def _care_tables(pool: asyncpg.Pool) -> None:
    await pool.execute(children.schema + bookings.schema + enrolments.schema)


async def _registered(pool: asyncpg.Pool, at: datetime) -> UUID:
    child_id = uuid4()
    await pool.execute(
        "INSERT INTO rm_children VALUES ($1, '孩子', '2020-01-01', 'female', $2)", child_id, at
    )
    return child_id


async def _booked(pool: asyncpg.Pool, child_id: UUID, ends_at: datetime, status: str) -> None:
    await pool.execute(
        "INSERT INTO rm_bookings VALUES ($1, $2, $2, $2, $3, $4, $2, 'hourly', 540, 660,"
        " $5::timestamptz - interval '2 hours', $5, 3000, NULL, $6, NULL, '{}', 7, $5, $5)",
        uuid4(), uuid4(), ends_at.date(), child_id, ends_at, status,
    )  # fmt: skip


async def _enrolled(pool: asyncpg.Pool, child_id: UUID, last_day: date) -> None:
    await pool.execute(
        "INSERT INTO rm_enrolments VALUES ($1, $2, $2, $3, $2, 'full_day', '{1,2,3,4,5}',"
        " $4::date - 300, $4, 480, 1020, 7, 200000, $5)",
        uuid4(), uuid4(), child_id, last_day, datetime(2020, 1, 1, tzinfo=UTC),
    )  # fmt: skip


async def test_retention_candidates_are_the_children_with_no_care_since_the_cutoff(
    pool: asyncpg.Pool,
):
    await _care_tables(pool)
    cutoff = datetime(2026, 1, 1, tzinfo=UTC)
    long_ago, lately = datetime(2022, 3, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    booked_long_ago = await _registered(pool, long_ago)
    await _booked(pool, booked_long_ago, datetime(2022, 9, 1, tzinfo=UTC), "completed")
    booked_lately = await _registered(pool, long_ago)
    await _booked(pool, booked_lately, datetime(2022, 9, 1, tzinfo=UTC), "completed")
    await _booked(pool, booked_lately, datetime(2026, 2, 1, tzinfo=UTC), "confirmed")
    only_cancelled_lately = await _registered(pool, long_ago + timedelta(days=1))
    await _booked(pool, only_cancelled_lately, datetime(2026, 2, 1, tzinfo=UTC), "cancelled")
    enrolled_to_the_cutoff = await _registered(pool, long_ago)
    await _enrolled(pool, enrolled_to_the_cutoff, date(2026, 1, 1))
    enrolled_long_ago = await _registered(pool, long_ago + timedelta(days=2))
    await _enrolled(pool, enrolled_long_ago, date(2022, 12, 31))
    never_cared_for = await _registered(pool, long_ago - timedelta(days=1))
    await _registered(pool, lately)  # registered since the cutoff: not a candidate yet

    found = await children.past_retention(pool, cutoff)
    assert found == [never_cared_for, booked_long_ago, only_cancelled_lately, enrolled_long_ago]
    assert await children.past_retention(pool, cutoff, limit=2) == found[:2]


async def test_the_retention_job_looks_up_each_candidate_s_care_rather_than_every_booking(
    pool: asyncpg.Pool,
):
    """PostgreSQL is told to avoid scans, so this checks the indexes serve the query whatever
    the tables' size here: no aggregate over all bookings, a lookup per candidate child."""
    await _care_tables(pool)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL enable_seqscan TO off")
        plan = "\n".join(
            r[0]
            for r in await conn.fetch(
                "EXPLAIN " + children.PAST_RETENTION, datetime(2026, 1, 1, tzinfo=UTC), 500
            )
        )
    assert "Aggregate" not in plan, plan
    for index in ("rm_children_registered", "rm_bookings_child", "rm_enrolments_child"):
        assert index in plan, plan


GRANNY = PickupAdult("王外婆", "13955550001", "外婆")


async def _changed_back_and_forth(uow: UnitOfWork, kid: UUID) -> CommandAccepted:
    """In one command (so one batch): grandma authorised, withdrawn, blocked, let off and
    authorised again; a delegate named, withdrawn and named again; a medicine authorised and
    withdrawn; the name corrected twice."""
    c = await uow.get(Child, kid)
    today = NOW.date()
    neighbour = Delegate("邻居陈", "13900002222", today)
    medicine = MedicationAuthorisation(uuid4(), "布洛芬", "5 ml", 1, today, today, uuid4())
    c.authorise_pickup(GRANNY, NOW)
    c.withdraw_pickup_adult(GRANNY.phone, NOW)
    c.block_collector(BlockedCollector(GRANNY.name, GRANNY.phone, "误会"), NOW)
    c.lift_block(GRANNY.phone, NOW)
    c.authorise_pickup(GRANNY, NOW)
    for _ in range(2):
        c.delegate_pickup(neighbour, today, NOW)
        c.withdraw_delegate(neighbour.phone, today, today, NOW)
    c.delegate_pickup(neighbour, today, NOW)
    c.authorise_medication(medicine, NOW)
    c.withdraw_medication(medicine.authorisation_id, NOW)
    c.correct_profile("小鸣", date(2025, 3, 1), Sex.male, NOW)
    c.correct_profile("小铭", date(2025, 3, 1), Sex.male, NOW)
    return CommandAccepted(id=c.id, version=c.version)


async def test_changes_in_one_batch_end_as_they_do_event_by_event(store: EventStore):
    kid = await child(store, uuid4(), date(2025, 3, 1))
    await run(store, lambda uow: _changed_back_and_forth(uow, kid))
    projector = await project(store)  # every event in one batch
    tables = (*children.tables, *child_arrangements.tables)

    async def rows() -> dict[str, list[tuple[object, ...]]]:
        return {
            t: sorted(tuple(r) for r in await store.pool.fetch(f"SELECT * FROM {t}"))
            for t in tables
        }

    live = await rows()
    assert [r[1:4] for r in live["rm_child_pickup_adults"]] == [("王外婆", GRANNY.phone, "外婆")]
    assert [r[1:3] for r in live["rm_child_delegates"]] == [("13900002222", NOW.date())]
    assert live["rm_child_blocked"] == [] and live["rm_child_medication"] == []
    assert [r[1] for r in live["rm_children"]] == ["小铭"]
    assert sorted(r[2] for r in live["rm_child_names"]) == ["小明", "小铭", "小鸣"]
    await projector.rebuild(children, batch_size=1)
    await projector.rebuild(child_arrangements, batch_size=1)
    assert await rows() == live
