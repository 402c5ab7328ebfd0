"""Accounts: one per mainland mobile number; staff need passwords; regulators need a scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.account.aggregate import (
    Account,
    ClockedInElsewhere,
    Role,
    account_id_for,
    normalise_phone,
)
from domain.errors import InvalidValue
from domain.institution.kinds import StaffRole
from domain.one_place_at_a_time import LONGEST_PRESENCE

NOW = datetime(2026, 9, 1, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["13800000001", "+86 138-0000-0001", "+8613800000001"])
def test_mainland_numbers_in_common_spellings_are_one_account(raw: str):
    assert normalise_phone(raw) == "13800000001"
    assert account_id_for(raw) == account_id_for("13800000001")


@pytest.mark.parametrize("raw", ["12800000001", "1380000000", "abc", "+1 415 555 0100"])
def test_other_numbers_are_refused_naming_the_phone_field(raw: str):
    with pytest.raises(InvalidValue) as refused:
        normalise_phone(raw)
    assert refused.value.field == "phone"


def test_a_caregiver_account_needs_a_password():
    with pytest.raises(InvalidValue):
        Account.register("13700000001", "张老师", Role.caregiver, NOW)


def test_a_regulator_needs_a_city():
    with pytest.raises(InvalidValue):
        Account.register("13900000001", "卫健委", Role.regulator, NOW, password_hash="h")


def test_a_guardian_cannot_join_an_institutions_staff():
    guardian = Account.register("13600000001", "李妈妈", Role.guardian, NOW)
    with pytest.raises(InvalidValue):
        guardian.grant_membership(uuid4(), StaffRole.caregiver, NOW)


def test_a_carer_on_a_shift_elsewhere_is_refused_until_it_ends_or_is_a_day_old():
    carer = Account.register("13600000009", "张老师", Role.caregiver, NOW, password_hash="h")
    first, second = uuid4(), uuid4()
    carer.start_shift(first, NOW, NOW)
    with pytest.raises(ClockedInElsewhere):
        carer.start_shift(second, NOW + timedelta(hours=3), NOW)
    carer.start_shift(second, NOW - timedelta(hours=1), NOW)  # a replay from before: history
    carer.end_shift(second, NOW - timedelta(minutes=5), NOW)
    carer.start_shift(second, NOW + LONGEST_PRESENCE, NOW)  # the first's clock-out was forgotten
    carer.end_shift(second, NOW + LONGEST_PRESENCE, NOW)
    carer.end_shift(first, NOW + timedelta(hours=8), NOW)
    carer.start_shift(second, NOW + timedelta(hours=9), NOW)


def test_a_clock_in_replayed_late_inside_a_shift_elsewhere_that_ended_is_refused():
    carer = Account.register("13600000008", "张老师", Role.caregiver, NOW, password_hash="h")
    first, second = uuid4(), uuid4()
    carer.start_shift(first, NOW, NOW)
    carer.end_shift(first, NOW + timedelta(hours=8), NOW + timedelta(hours=8))
    with pytest.raises(ClockedInElsewhere) as refused:
        carer.start_shift(second, NOW + timedelta(hours=2), NOW + timedelta(hours=9))
    assert refused.value.params["until"] == (NOW + timedelta(hours=8)).isoformat()
    carer.start_shift(second, NOW + timedelta(hours=8), NOW + timedelta(hours=9))
