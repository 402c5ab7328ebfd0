"""A pick-up is judged on the arrangements at its own `at` (a tablet replays it late): a right the
guardians ended after it still covers it, a block put on after it records it as it happened,
and the child forgets what no replay can reach any more."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from domain.account.aggregate import account_id_for
from domain.child.aggregate import Child, PickupAdult, Sex
from domain.child.care import BlockedCollector, Delegate
from domain.child.pickup_rights import (
    CollectorBlocked,
    CollectorNotAuthorised,
    CollectorStanding,
)
from domain.clocks import REPLAYS_REACH_BACK

TODAY = date(2026, 12, 1)
MORNING = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
FOUR_PM = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # the pick-up, on an offline tablet
HALF_FOUR = FOUR_PM + timedelta(minutes=30)  # the guardian's change
MUM = account_id_for("13600000001")
GRANNY = PickupAdult("王外婆", "13955550001", "外婆")
NEIGHBOUR = Delegate("邻居陈", "13900002222", TODAY)


def child() -> Child:
    return Child.register(
        uuid4(), MUM, name="小明", birth_date=date(2025, 6, 1), sex=Sex.male,
        consent_purposes=("care_booking",), today=TODAY, now=MORNING,
    )  # fmt: skip


def collected(c: Child, phone: str, at: datetime, day: date = TODAY) -> CollectorStanding:
    return c.collector_relation(phone, {account_id_for(phone)}, day, at)


def test_a_pick_up_before_a_standing_adult_was_withdrawn_stands_and_one_at_or_after_is_refused():
    c = child()
    c.authorise_pickup(GRANNY, MORNING)
    c.withdraw_pickup_adult(GRANNY.phone, HALF_FOUR)
    assert collected(c, GRANNY.phone, FOUR_PM) == ("authorised_adult", "王外婆", None)
    for at in (HALF_FOUR, HALF_FOUR + timedelta(minutes=1)):  # no clock skew in its favour
        with pytest.raises(CollectorNotAuthorised):
            collected(c, GRANNY.phone, at)


def test_a_pick_up_before_a_delegate_was_withdrawn_stands_on_that_day_only():
    c = child()
    c.delegate_pickup(NEIGHBOUR, TODAY, MORNING)
    c.withdraw_delegate(NEIGHBOUR.phone, TODAY, TODAY, HALF_FOUR)
    assert collected(c, NEIGHBOUR.phone, FOUR_PM) == ("delegate", "邻居陈", None)
    with pytest.raises(CollectorNotAuthorised):
        collected(c, NEIGHBOUR.phone, HALF_FOUR + timedelta(minutes=5))
    with pytest.raises(CollectorNotAuthorised):  # named for TODAY, not the day before
        collected(c, NEIGHBOUR.phone, FOUR_PM - timedelta(days=1), TODAY - timedelta(days=1))


def test_an_adult_authorised_after_the_pick_up_is_accepted_as_the_guardian_vouched_for_them():
    c = child()
    c.authorise_pickup(GRANNY, HALF_FOUR)
    assert collected(c, GRANNY.phone, FOUR_PM).relation == "authorised_adult"


def test_a_pick_up_by_someone_blocked_after_it_is_recorded_as_it_was_then_naming_the_block():
    c = child()
    c.authorise_pickup(GRANNY, MORNING)
    c.block_collector(BlockedCollector(GRANNY.name, GRANNY.phone, "法院判决"), HALF_FOUR)
    assert collected(c, GRANNY.phone, FOUR_PM) == ("authorised_adult", "王外婆", HALF_FOUR)
    with pytest.raises(CollectorBlocked):
        collected(c, GRANNY.phone, HALF_FOUR)


def test_a_guardian_or_delegate_blocked_after_the_pick_up_is_recorded_naming_the_block():
    c = child()
    c.delegate_pickup(NEIGHBOUR, TODAY, MORNING)
    c.block_collector(BlockedCollector("妈妈", "13600000001", "法院判决"), HALF_FOUR)
    c.block_collector(BlockedCollector("邻居陈", NEIGHBOUR.phone, "家长决定"), HALF_FOUR)
    assert collected(c, "13600000001", FOUR_PM) == ("guardian", None, HALF_FOUR)
    assert collected(c, NEIGHBOUR.phone, FOUR_PM) == ("delegate", "邻居陈", HALF_FOUR)


def test_someone_blocked_after_the_pick_up_who_could_not_collect_then_is_refused_as_blocked():
    c = child()
    c.block_collector(BlockedCollector("赵某", "13900001111", "法院禁令"), HALF_FOUR)
    with pytest.raises(CollectorBlocked):
        collected(c, "13900001111", FOUR_PM)


def test_a_block_on_at_the_pick_up_stays_a_refusal_though_lifted_and_put_on_again_since():
    c = child()
    c.authorise_pickup(GRANNY, MORNING)
    c.block_collector(BlockedCollector(GRANNY.name, GRANNY.phone, "争议"), MORNING)
    c.lift_block(GRANNY.phone, FOUR_PM + timedelta(minutes=10))
    c.block_collector(BlockedCollector(GRANNY.name, GRANNY.phone, "法院判决"), HALF_FOUR)
    with pytest.raises(CollectorBlocked):
        collected(c, GRANNY.phone, FOUR_PM)  # blocked since the morning
    with pytest.raises(CollectorBlocked):  # lifted then, but no longer entitled to collect
        collected(c, GRANNY.phone, FOUR_PM + timedelta(minutes=15))


def test_a_withdrawal_no_replay_can_reach_is_forgotten_at_the_next_change():
    c = child()
    c.authorise_pickup(GRANNY, MORNING)
    c.delegate_pickup(NEIGHBOUR, TODAY, MORNING)
    c.withdraw_pickup_adult(GRANNY.phone, HALF_FOUR)
    c.block_collector(BlockedCollector("赵某", "13900001111", "法院禁令"), HALF_FOUR)
    assert [r.phone for r in c.pickup_rights_ended] == [GRANNY.phone]
    c.withdraw_delegate(NEIGHBOUR.phone, TODAY, TODAY, HALF_FOUR + REPLAYS_REACH_BACK)
    assert [r.phone for r in c.pickup_rights_ended] == [GRANNY.phone, NEIGHBOUR.phone]
    assert len(c.blocks_lately) == 1  # both just reachable still
    later = HALF_FOUR + REPLAYS_REACH_BACK + timedelta(seconds=1)
    c.authorise_pickup(GRANNY, later)
    c.withdraw_pickup_adult(GRANNY.phone, later)
    assert [(r.relation, r.until) for r in c.pickup_rights_ended] == [
        ("delegate", HALF_FOUR + REPLAYS_REACH_BACK), ("authorised_adult", later)
    ]  # fmt: skip
    assert c.blocks_lately == ()
    with pytest.raises(CollectorBlocked):  # a block older than any replay: on at any `at`
        collected(c, "13900001111", later)


def test_an_erasure_forgets_the_rights_ended_and_the_blocks():
    c = child()
    c.authorise_pickup(GRANNY, MORNING)
    c.block_collector(BlockedCollector(GRANNY.name, GRANNY.phone, "法院判决"), HALF_FOUR)
    c.erase(MUM, TODAY, HALF_FOUR + timedelta(minutes=1))
    assert (c.pickup_rights_ended, c.blocks_lately) == ((), ())
