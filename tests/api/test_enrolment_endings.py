"""Ending a regular place early: not on a day gone, the paid days after it refunded (in full by
the institution, under the term's own policy by a guardian), shown before and told after."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from backend.clock import FrozenClock
from backend.eventstore.records import AppendRequest, NewEvent
from domain.booking.enrolment import RoomEnrolments, room_enrolments_id
from projections import enrolments, notifications
from tests.api.booking_world import FULL_DAY, HOURLY, bookable_room, child_of, enrolment, put
from tests.api.days import NINE, day, months_before_day
from tests.api.rebuilds import rebuilt_equals_live
from tests.api.world import Caller, World

TERM_PRICE = 12000 * 13  # Mon/Wed/Fri of the 31 days from a Tuesday: 13 full days at 120 元


async def _enrolled(world: World) -> tuple[UUID, UUID, Caller, Caller, str]:
    """A 31-day 全日托 term (the enrolment helper's), paid in full."""
    institution_id, room_id, admin = await bookable_room(
        world, capacity=1, staff=1, offers=[HOURLY, FULL_DAY]
    )
    parent = await world.guardian()
    child = await child_of(world, parent)
    enrolled = await world.post("/v1/enrolments", enrolment(institution_id, room_id, child), parent)
    assert enrolled.status_code == 201, enrolled.text
    return institution_id, room_id, admin, parent, enrolled.json()["id"]


async def _get(world: World, path: str, who: Caller, **params: Any) -> Any:
    return await world.client.get(path, headers=world.fresh(who.headers), params=params or None)


async def _view(world: World, parent: Caller) -> dict[str, Any]:
    [view] = (await _get(world, "/v1/enrolments", parent)).json()
    return view  # type: ignore[no-any-return]


async def _told(world: World, who: Caller) -> list[str]:
    notes = (await _get(world, "/v1/notifications", who)).json()
    return [n["body"] for n in notes if n["kind"] == "regular_place_ended"]


async def test_a_term_cannot_be_ended_on_a_day_gone_and_today_may_be_its_last_day(world: World):
    """Ten days in (three days attended), neither the day before the term began nor yesterday
    may be its last day: the days attended stay in its history. Today may: a family leaving."""
    _, room_id, admin, parent, enrolment_id = await _enrolled(world)
    world.runtime.clock = FrozenClock(at=NINE + timedelta(days=10))  # Friday, day(10)
    for gone in (day(-1), day(9)):
        refused = await world.post(f"/v1/enrolments/{enrolment_id}/end", {"last_day": gone},
                                   parent)  # fmt: skip
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "last_day"
        preview = await _get(world, f"/v1/enrolments/{enrolment_id}/end-preview", parent,
                             last_day=gone)  # fmt: skip
        assert (preview.status_code, preview.json()["field"]) == (422, "last_day")
    assert (await _view(world, parent))["last_day"] == day(30)
    occupancy = await _get(world, f"/v1/rooms/{room_id}/occupancy?date={day(8)}", admin)
    assert max(s["enrolled"] for s in occupancy.json()["segments"]) == 1, occupancy.text
    today = await world.post(f"/v1/enrolments/{enrolment_id}/end", {"last_day": day(10)}, parent)
    assert today.status_code == 200, today.text
    assert (await _view(world, parent))["last_day"] == day(10)


async def test_an_admin_ending_a_term_early_refunds_the_paid_days_after_it_and_tells_the_family(
    world: World,
):
    _, _, admin, parent, enrolment_id = await _enrolled(world)
    view = await _view(world, parent)
    added = await world.post(f"/v1/children/{view['child_id']}/guardians",
                             {"phone": "13612340003", "display_name": "孩子爸爸"}, parent)  # fmt: skip
    assert added.status_code == 201, added.text
    father = await world.guardian("13612340003")
    preview = await _get(world, f"/v1/enrolments/{enrolment_id}/end-preview", admin,
                         last_day=day(14))  # fmt: skip
    assert preview.status_code == 200, preview.text
    assert {k: preview.json()[k] for k in ("price_fen", "days_given_up", "refund_fen")} == {
        "price_fen": TERM_PRICE, "days_given_up": 7, "refund_fen": 7 * 12000,
    }  # fmt: skip
    ended = await world.post(f"/v1/enrolments/{enrolment_id}/end", {"last_day": day(14)}, admin)
    assert ended.status_code == 200, ended.text
    view = await _view(world, parent)
    assert (view["price_fen"], view["refund_fen"]) == (TERM_PRICE, 7 * 12000)  # paid, refunded
    body = (
        f"机构已提前结束孩子的常规托位，最后一天为{day(14)}，之后已付费的7天费用全额退还¥840.00。"
    )
    assert await _told(world, parent) == [body]
    assert await _told(world, father) == [body]


async def test_a_guardian_ending_a_term_is_refunded_under_the_policy_it_was_enrolled_under(
    world: World,
):
    """Enrolled under "full refund 24 h before, 50 % after"; the institution then publishes a
    policy refunding nothing late. Ending the term on a Tuesday at 10:00, the Wednesday (22.5 h
    away) gives half its price back and the six days after it all of theirs."""
    institution_id, _, admin, parent, enrolment_id = await _enrolled(world)
    stricter = {"full_refund_hours_before": 720, "late_refund_percent": 0}
    await put(world, f"/v1/institutions/{institution_id}/refund-policy", stricter, admin)
    world.runtime.clock = FrozenClock(at=NINE + timedelta(days=14, hours=1))
    expected = 6000 + 6 * 12000
    preview = await _get(world, f"/v1/enrolments/{enrolment_id}/end-preview", parent,
                         last_day=day(14))  # fmt: skip
    assert preview.status_code == 200, preview.text
    assert (preview.json()["days_given_up"], preview.json()["refund_fen"]) == (7, expected)
    assert "开始前24小时以上取消全额退款" in preview.json()["rule"]
    ended = await world.post(f"/v1/enrolments/{enrolment_id}/end", {"last_day": day(14)}, parent)
    assert ended.status_code == 200, ended.text
    assert (await _view(world, parent))["refund_fen"] == expected
    assert await _told(world, parent) == [
        f"您已提前结束孩子的常规托位，最后一天为{day(14)}，之后已付费的7天费用按报名时的退款规则"
        "退还¥780.00。"
    ]


async def test_a_term_ended_before_it_began_is_refunded_whole(world: World):
    _, _, _, parent, enrolment_id = await _enrolled(world)
    ended = await world.post(f"/v1/enrolments/{enrolment_id}/end", {"last_day": day(-1)}, parent)
    assert ended.status_code == 200, ended.text
    view = await _view(world, parent)
    assert (view["last_day"], view["price_fen"], view["refund_fen"]) == (
        day(-1), TERM_PRICE, TERM_PRICE,
    )  # fmt: skip


async def test_a_term_ended_before_refunds_were_kept_still_reads_and_rebuilds_alike(
    world: World,
):
    """An EnrolmentEnded stored before it carried a refund (version 1) reads as no refund and
    nobody told; the models rebuilt over it and a current ending equal the live ones."""
    _, room_id, admin, parent, enrolment_id = await _enrolled(world)
    ended = await world.post(f"/v1/enrolments/{enrolment_id}/end", {"last_day": day(20)}, admin)
    assert ended.status_code == 200, ended.text
    store, stream = world.runtime.store, room_enrolments_id(room_id)
    version = ended.json()["version"] + 1
    old = b'{"timestamp":"%s","enrolment_id":"%s","last_day":"%s"}' % (
        NINE.isoformat().encode(), enrolment_id.encode(), day(14).encode(),
    )  # fmt: skip
    topic = get_topic(RoomEnrolments.EnrolmentEnded)
    await store.append(
        AppendRequest([NewEvent(stream, version, topic, old)], {stream: version - 1})
    )
    await rebuilt_equals_live(world, enrolments, notifications)
    view = await _view(world, parent)
    assert (view["last_day"], view["refund_fen"]) == (day(14), 4 * 12000)  # the first ending's
    assert len(await _told(world, parent)) == 1


async def test_a_childs_age_for_a_term_is_judged_on_the_first_and_last_days_it_holds(
    world: World,
):
    """A toddler room (12–24 months), Mon/Wed/Fri from a Tuesday: the child is 12 months on
    the Wednesday, its first day; another turns 24 months on the Sunday the term's dates end,
    after its last day, the Friday."""
    institution_id, room_id, _ = await bookable_room(
        world, capacity=2, staff=1, offers=[HOURLY, FULL_DAY]
    )
    parent = await world.guardian()
    one = await child_of(world, parent, (months_before_day(12) + timedelta(days=1)).isoformat())
    body = enrolment(institution_id, room_id, one, last_day=day(14))
    enrolled = await world.post("/v1/enrolments", body, parent)
    assert enrolled.status_code == 201, enrolled.text
    two = await child_of(world, parent, (months_before_day(24) + timedelta(days=12)).isoformat())
    body = enrolment(institution_id, room_id, two, last_day=day(12))
    enrolled = await world.post("/v1/enrolments", body, parent)
    assert enrolled.status_code == 201, enrolled.text
