"""The `children` read model: each guardian sees their own children, and only those."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from backend.eventstore.store import EventStore
from projections import children
from tests.projections.booking_world import add_guardian, child, project


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
