"""After a child's erasure no copy keeps the staff's words about it: a register correction made
after the erasure, the live feed's rows kept in memory (this process's or another's step), and
a suspected-abuse report a tablet replays afterwards (ADR 0012)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from backend.follower import step_all
from backend.live_feed import FeedRow
from backend.state import Runtime
from backend.unit_of_work import UnitOfWork
from domain.attendance.corrections import VisitCorrection
from domain.attendance.day import AttendanceDay, attendance_day_id
from tests.api.attendance_world import (
    NINE,
    Room,
    at,
    attending_room,
    check_in,
    check_out_body,
    visit_with_words,
)
from tests.api.world import World

WORDS = "林小雪昨晚发烧，妈妈说的"
CORRECTIONS = "/v1/institutions/{}/attendance/corrections"


async def _collected_and_erased(world: World, room: Room, child: UUID) -> None:
    """The child is collected at 10:00 and erased the next day."""
    await _collected(world, room, child)
    await _erased(world, room, child)


async def _collected(world: World, room: Room, child: UUID) -> None:
    world.runtime.clock.at = NINE + timedelta(hours=1)  # type: ignore[attr-defined]
    out = check_out_body(room, child, room.guardian.phone, minutes=60)
    assert (await world.post("/v1/attendance/check-outs", out, room.admin)).status_code == 201
    await _settled(world)  # the erasure reads that the child is not present from the models


async def _erased(world: World, room: Room, child: UUID) -> None:
    world.runtime.clock.at = NINE + timedelta(days=1)  # type: ignore[attr-defined]
    erased = await world.post(f"/v1/children/{child}/erasure", {}, room.guardian)
    assert erased.status_code == 200, erased.text


async def _settled(world: World) -> None:
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())


async def _words_anywhere(world: World, room: Room) -> list[str]:
    """Where the words still are: the register, the audit trail, the stored feed rows."""
    pool = world.runtime.pool
    found = []
    for table, column in (("rm_attendance_register", "correction_reason"),
                          ("rm_attendance_audit", "detail"), ("rm_occupancy_feed", "data")):  # fmt: skip
        rows = await pool.fetch(f"SELECT {column} AS text FROM {table}")
        found += [table for r in rows if r["text"] and WORDS in r["text"]]
    return found


async def _attendance_rebuilt_equal_to_live(world: World) -> None:
    projector, pool = world.runtime.projector, world.runtime.pool
    model = next(p for p in projector.projections if p.name == "attendance")

    async def rows() -> dict[str, list[Any]]:
        return {t: [tuple(r) for r in await pool.fetch(f"SELECT * FROM {t} ORDER BY {t}")]
                for t in model.tables}  # fmt: skip

    live = await rows()
    await projector.rebuild(model)
    assert await rows() == live


async def test_a_correction_after_the_erasure_records_the_new_times_and_not_the_admins_words(
    world: World,
):
    room = await attending_room(world)
    [child] = room.children
    assert (await check_in(world, room, child)).status_code == 201
    await _collected_and_erased(world, room, child)

    fix = {"child_id": str(child), "room_id": str(room.room_id), "arrived_at": at(-5),
           "left_at": at(60), "replaces": at(0), "reason": WORDS}  # fmt: skip
    corrected = await world.post(CORRECTIONS.format(room.institution_id), fix, room.admin)
    assert corrected.status_code == 201, corrected.text
    await _settled(world)

    store = world.runtime.store
    day = await store.read_stream(attendance_day_id(room.institution_id, NINE.date()))
    [recorded] = [
        e for e in map(store.to_domain_event, day) if isinstance(e, AttendanceDay.VisitCorrected)
    ]
    assert recorded.correction.reason == ""  # the event store, append-only, never had them
    assert recorded.correction.arrived == datetime.fromisoformat(at(-5))
    register = await world.client.get(
        f"/v1/rooms/{room.room_id}/attendance", params={"date": NINE.date().isoformat()},
        headers=world.fresh(room.admin.headers),
    )  # fmt: skip
    [visit] = register.json()
    assert (visit["checked_in"], visit["correction_reason"]) == ("08:55", "")
    assert await _words_anywhere(world, room) == []
    await _attendance_rebuilt_equal_to_live(world)


async def test_a_correction_stored_with_words_after_the_erasure_shows_none_live_or_rebuilt(
    world: World,
):
    """A correction recorded after the erasure with its reason (as before the command dropped
    it): the attendance model writes its facts without the words, and so does a rebuild."""
    room = await attending_room(world)
    [child] = room.children
    assert (await check_in(world, room, child)).status_code == 201
    await _collected_and_erased(world, room, child)

    async def correct_as_before(uow: UnitOfWork, now: datetime) -> Any:
        day = await uow.get(AttendanceDay, attendance_day_id(room.institution_id, NINE.date()))
        fix = VisitCorrection(
            child_id=child, room_id=room.room_id, arrived=datetime.fromisoformat(at(-5)),
            left=datetime.fromisoformat(at(60)), replaces=datetime.fromisoformat(at(0)),
            reason=WORDS, by=room.admin.account_id,
        )  # fmt: skip
        day.correct_visit(fix, now)
        return None

    await world.run(lambda uow, ctx: correct_as_before(uow, ctx.now))
    await _settled(world)
    audit = await world.runtime.pool.fetch("SELECT detail FROM rm_attendance_audit")
    assert [r["detail"] for r in audit] == ["更正（原入园09:00）：入园08:55，离园10:00；原因："]
    assert await _words_anywhere(world, room) == []
    await _attendance_rebuilt_equal_to_live(world)


async def _feed_table(runtime: Runtime, institution_id: UUID, after: int) -> list[FeedRow]:
    rows = await runtime.pool.fetch(
        "SELECT position, kind, data::text AS data FROM rm_occupancy_feed"
        " WHERE institution_id = $1 AND position > $2 ORDER BY position",
        institution_id, after,
    )  # fmt: skip
    return [FeedRow(*r) for r in rows]


async def _kept_with_words(world: World, room: Room, after: int) -> list[FeedRow]:
    """The hub follows the institution; the admin's check-in past the ratio and correction
    carry the words; the feed rows the hub keeps in memory have them."""
    hub = world.runtime.feed_hub
    await hub.wait_past(room.institution_id, after, 0.1)  # the hub is following now
    await visit_with_words(world, room, room.children[0], WORDS)
    await _settled(world)
    kept = hub.rows_after(room.institution_id, after) or []
    assert sum(WORDS in row.data for row in kept) == 2  # override_reason, reason
    return kept


async def test_the_feed_rows_kept_in_memory_lose_the_words_when_the_child_is_erased(
    world: World,
):
    room = await attending_room(world, clock_in=False)  # nobody clocked in: the admin overrides
    hub, runtime = world.runtime.feed_hub, world.runtime
    await _settled(world)
    after = int(await runtime.pool.fetchval("SELECT coalesce(max(position), 0) FROM events"))
    with hub.watching(room.institution_id):
        await _kept_with_words(world, room, after)
        await _collected_and_erased(world, room, room.children[0])
        await _settled(world)
        kept = hub.rows_after(room.institution_id, after)  # what a resumed stream is sent
        assert kept is not None and not any(WORDS in row.data for row in kept)
        assert kept == await _feed_table(runtime, room.institution_id, after)


async def test_an_erasure_another_process_applied_reaches_this_process_s_kept_feed_rows(
    world: World, second_worker: Runtime, database_url: str
):
    room = await attending_room(world, clock_in=False)
    hub, runtime = world.runtime.feed_hub, world.runtime
    await _settled(world)
    after = int(await runtime.pool.fetchval("SELECT coalesce(max(position), 0) FROM events"))
    with hub.watching(room.institution_id):
        await _kept_with_words(world, room, after)
        await _collected(world, room, room.children[0])
        await runtime.projector.stop()  # this process's follower pauses: the other one steps
        await _erased(world, room, room.children[0])
        while await step_all(second_worker.projector):
            pass
        await runtime.projector.start(listen_dsn=database_url)
        kept: list[FeedRow] = []
        async with asyncio.timeout(5):
            while not kept or any(WORDS in row.data for row in kept):
                head = kept[-1].position if kept else after
                await hub.wait_past(room.institution_id, head, 0.2)  # the hub scans meanwhile
                kept = hub.rows_after(room.institution_id, after) or []
        assert kept == await _feed_table(runtime, room.institution_id, after)


async def test_words_and_the_erasure_applied_in_one_step_leave_no_words_in_the_kept_rows(
    world: World, database_url: str
) -> None:
    """A correction with words and the child's erasure reach the hub in one step (the follower
    paused, as under load): the row the step brings is blanked too, as the table's is."""
    room = await attending_room(world)
    [child] = room.children
    assert (await check_in(world, room, child)).status_code == 201
    await _collected(world, room, child)
    hub, runtime = world.runtime.feed_hub, world.runtime
    after = int(await runtime.pool.fetchval("SELECT coalesce(max(position), 0) FROM events"))
    with hub.watching(room.institution_id):
        await hub.wait_past(room.institution_id, after, 0.1)  # the hub follows from here
        await runtime.projector.stop()  # the next step takes both commands at once
        world.runtime.clock.at = NINE + timedelta(days=1)  # type: ignore[attr-defined]
        fix = {"child_id": str(child), "room_id": str(room.room_id), "arrived_at": at(-5),
               "left_at": at(60), "replaces": at(0), "reason": WORDS}  # fmt: skip
        corrected = await world.post(CORRECTIONS.format(room.institution_id), fix, room.admin)
        assert corrected.status_code == 201, corrected.text
        erased = await world.post(f"/v1/children/{child}/erasure", {}, room.guardian)
        assert erased.status_code == 200, erased.text
        await runtime.projector.start(listen_dsn=database_url)
        await _settled(world)
        table = await _feed_table(runtime, room.institution_id, after)
        assert table and not any(WORDS in row.data for row in table)
        kept = hub.rows_after(room.institution_id, after)  # what a resumed stream is sent
        assert kept == table


async def test_a_suspected_abuse_report_replayed_after_the_erasure_tells_no_admin_about_it(
    world: World,
):
    """Collected at 10:00 and erased at 11:05; the tablet then replays the 09:30 report it
    logged offline: no notice about the erased child, to its family or the admins, live or
    rebuilt."""
    room = await attending_room(world)
    [child] = room.children
    assert (await check_in(world, room, child)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(hours=2, minutes=5)  # type: ignore[attr-defined]
    out = check_out_body(room, child, room.guardian.phone, minutes=60)
    assert (await world.post("/v1/attendance/check-outs", out, room.caregiver)).status_code == 201
    assert (await world.post(f"/v1/children/{child}/erasure", {}, room.guardian)).status_code == 200
    report = {"room_id": str(room.room_id), "at": at(30), "kind": "incident",
              "category": "suspected_abuse", "child_ids": [str(child)], "note": WORDS}  # fmt: skip
    logged = await world.post("/v1/attendance/care-logs", report, room.caregiver)
    assert logged.status_code == 201, logged.text
    await _settled(world)
    pool, projector = world.runtime.pool, world.runtime.projector
    about = "SELECT * FROM rm_notifications WHERE child_id = $1 OR body LIKE '%' || $2 || '%'"
    assert await pool.fetch(about, child, WORDS) == []
    live = await pool.fetch("SELECT * FROM rm_notifications ORDER BY 1, 2")
    await projector.rebuild(next(p for p in projector.projections if p.name == "notifications"))
    assert await pool.fetch("SELECT * FROM rm_notifications ORDER BY 1, 2") == live
