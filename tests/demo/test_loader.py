"""Loading the small demo city writes it through commands; the read models then show all of it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from backend.auth.passwords import verify_password
from backend.clock import FrozenClock
from backend.demo.generator import generate_city
from backend.demo.loader import database_is_empty, demo_accounts, load_day, load_demo
from backend.state import Runtime
from backend.unit_of_work import load_aggregate
from domain.account.aggregate import Account, account_id_for

SMALL = generate_city("small", reference_date=datetime.now(UTC).date())  # as loaded today


async def test_loading_the_small_city_fills_the_read_models(runtime: Runtime) -> None:
    assert await database_is_empty(runtime)
    seen: list[tuple[int, int]] = []

    report = await load_demo(runtime, SMALL, lambda done, total: seen.append((done, total)))
    await runtime.projector.catch_up()

    fetch = runtime.pool.fetchval
    assert not await database_is_empty(runtime)
    assert await fetch("SELECT count(*) FROM rm_districts") == 4
    assert await fetch("SELECT count(*) FROM rm_institutions") == len(SMALL.institutions) == 12
    assert await fetch("SELECT count(*) FROM rm_rooms") == SMALL.rooms == report.rooms
    assert await fetch("SELECT sum(capacity) FROM rm_rooms") <= SMALL.filed_places
    assert await fetch("SELECT sum(filed_places) FROM rm_institutions") == report.places
    assert await fetch("SELECT count(*) FROM rm_institution_staff") == SMALL.staff == report.staff
    accounts = SMALL.staff + len(SMALL.families) + len(SMALL.regulators)
    assert await fetch("SELECT count(*) FROM rm_accounts") == accounts
    assert await fetch("SELECT count(*) FROM rm_accounts WHERE role = 'guardian'") == 20
    assert report.events == await fetch("SELECT count(*) FROM events")
    assert 0 < report.enrolled <= report.children == await fetch("SELECT count(*) FROM rm_children")
    assert await fetch("SELECT count(*) FROM rm_enrolments") == report.enrolled
    assert await fetch("SELECT count(*) FROM rm_room_terms WHERE offers <> '[]'") == SMALL.rooms
    assert seen[-1][0] == seen[-1][1] == len(seen)


async def test_the_printed_demo_accounts_sign_in_with_the_documented_password(
    runtime: Runtime,
) -> None:
    await load_demo(runtime, SMALL)
    accounts = demo_accounts(SMALL)
    admin = next(a for a in accounts if a.phone == "13800000001")
    assert (admin.role, admin.password, admin.note) == (
        "institution_admin", "tuoyu-demo-2026", "姑苏区平江托育中心",
    )  # fmt: skip
    stored = await load_aggregate(runtime.store, account_id_for(admin.phone))
    assert isinstance(stored, Account)
    assert verify_password(stored.password_hash, "tuoyu-demo-2026")
    assert stored.memberships == {SMALL.institutions[0].institution_id: "institution_admin"}
    guardian = next(a for a in accounts if a.role == "guardian")
    assert guardian.password is None and "246810" in guardian.note
    assert {a.phone for a in accounts} >= {"13900000001", "13900000011", "13700000001"}


async def test_a_demo_loaded_in_suzhous_morning_before_utc_midnight_starts_its_terms_there(
    runtime: Runtime,
) -> None:
    runtime.clock = FrozenClock(at=datetime(2026, 12, 1, 23, 30, tzinfo=UTC))  # 07:30 on the 2nd
    day = load_day(runtime)
    assert day == date(2026, 12, 2)
    report = await load_demo(runtime, generate_city("small", reference_date=day))
    assert report.enrolled > 0
    await runtime.projector.catch_up()
    first = await runtime.pool.fetchval("SELECT min(first_day) FROM rm_enrolments")
    assert first == day
