"""The `institutions` read model keeps each room's offers and roster and the refund policy."""

from __future__ import annotations

import json
from uuid import UUID

import msgspec

from api_schema.common import CommandAccepted
from backend.eventstore.store import EventStore
from backend.unit_of_work import UnitOfWork
from domain.booking.terms import DEFAULT_REFUND_POLICY, CareOffer, CareType, RefundPolicy
from domain.institution.aggregate import Institution
from projections.institutions import offers_on, room_offers, room_shifts, shifts_on
from tests.projections.booking_world import NOW, RoomSpec, city, hm, institution, project, run

HALF_DAY = CareOffer(CareType.half_day, (6,), hm("08:30"), hm("12:00"), 8000, "per_session")


async def _terms(store: EventStore, room_id: UUID) -> tuple[str, str]:
    row = await store.pool.fetchrow(
        "SELECT offers, shifts FROM rm_room_terms WHERE room_id = $1", room_id
    )
    return row["offers"], row["shifts"]


async def _policy(store: EventStore, institution_id: UUID) -> object:
    raw = await store.pool.fetchval(
        "SELECT refund_policy FROM rm_institutions WHERE id = $1", institution_id
    )
    return json.loads(raw)


async def test_republished_offers_replace_the_old_ones_and_keep_the_roster(store: EventStore):
    room = RoomSpec("向日葵班")
    iid = await institution(store, await city(store), "平江托育", [room])
    await project(store)
    _, shifts_before = await _terms(store, room.room_id)

    async def republish(uow: UnitOfWork) -> CommandAccepted:
        i = await uow.get(Institution, iid)
        i.publish_offers(room.room_id, (HALF_DAY,), NOW)
        i.publish_refund_policy(RefundPolicy(12, 30), NOW)
        return CommandAccepted(id=i.id, version=i.version)

    await run(store, republish)
    await project(store)

    offers, shifts = await _terms(store, room.room_id)
    assert offers_on(room_offers(offers), 6) == [HALF_DAY]
    assert offers_on(room_offers(offers), 2) == []
    assert shifts == shifts_before and [s.staff for s in shifts_on(room_shifts(shifts), 2)] == [2]
    assert await _policy(store, iid) == {"full_refund_hours_before": 12, "late_refund_percent": 30}


async def test_an_institution_that_published_no_refund_policy_shows_the_default(
    store: EventStore,
):
    iid = await institution(store, await city(store), "平江托育", [RoomSpec("班")], policy=None)
    await project(store)

    assert await _policy(store, iid) == msgspec.to_builtins(DEFAULT_REFUND_POLICY)
