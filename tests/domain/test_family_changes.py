"""A family's arrangements change: pick-up adults and delegates withdrawn, a block lifted, a
medication authorisation withdrawn (doses judged at their own time), the profile corrected."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from domain.account.aggregate import account_id_for
from domain.child.aggregate import Child, PickupAdult, Sex
from domain.child.care import (
    BlockedCollector,
    Delegate,
    HealthRecord,
    HealthRecordKind,
)
from domain.child.family_changes import (
    CollectorNotBlocked,
    DelegateNotFound,
    MedicationAuthorisationNotFound,
    PickupAdultNotFound,
)
from domain.child.medication import MedicationAuthorisation, MedicationWithdrawn
from domain.child.pickup_rights import CollectorNotAuthorised
from domain.errors import InvalidValue

TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
MUM = account_id_for("13600000001")
GRANNY = PickupAdult("王外婆", "13955550001", "外婆")


def child() -> Child:
    return Child.register(
        uuid4(), MUM, name="小明", birth_date=date(2025, 6, 1), sex=Sex.male,
        consent_purposes=("care_booking",), today=TODAY, now=NOW,
    )  # fmt: skip


def collects(c: Child, phone: str, at: datetime = NOW + timedelta(hours=1)) -> str:
    return c.collector_relation(phone, {account_id_for(phone)}, TODAY, at).relation


def test_a_withdrawn_pick_up_adult_may_no_longer_collect_but_may_be_authorised_again():
    c = child()
    c.authorise_pickup(GRANNY, NOW)
    c.withdraw_pickup_adult(GRANNY.phone, NOW)
    with pytest.raises(CollectorNotAuthorised):
        collects(c, GRANNY.phone)
    c.authorise_pickup(GRANNY, NOW)
    assert collects(c, GRANNY.phone) == "authorised_adult"


def test_withdrawing_someone_who_is_no_pick_up_adult_is_not_found_naming_the_phone():
    with pytest.raises(PickupAdultNotFound) as refused:
        child().withdraw_pickup_adult(GRANNY.phone, NOW)
    assert refused.value.field == "phone"


def test_a_withdrawn_delegate_may_not_collect_that_day_and_a_past_days_delegate_stays_history():
    c = child()
    c.delegate_pickup(Delegate("邻居陈", "13900002222", TODAY), TODAY, NOW)
    c.withdraw_delegate("13900002222", TODAY, TODAY, NOW)
    with pytest.raises(CollectorNotAuthorised):
        collects(c, "13900002222")
    with pytest.raises(DelegateNotFound):
        c.withdraw_delegate("13900002222", TODAY, TODAY, NOW)
    c.delegate_pickup(Delegate("邻居陈", "13900002222", TODAY), TODAY, NOW)
    with pytest.raises(InvalidValue) as refused:
        c.withdraw_delegate("13900002222", TODAY, TODAY + timedelta(days=1), NOW)
    assert refused.value.field == "day"


def test_a_lifted_block_authorises_nobody_but_lets_a_later_authorisation_stand():
    c = child()
    c.authorise_pickup(GRANNY, NOW)
    c.block_collector(BlockedCollector(GRANNY.name, GRANNY.phone, "法院判决"), NOW)
    c.lift_block(GRANNY.phone, NOW)
    with pytest.raises(CollectorNotAuthorised):
        collects(c, GRANNY.phone)  # blocking removed her; lifting does not bring her back
    c.authorise_pickup(GRANNY, NOW)
    assert collects(c, GRANNY.phone) == "authorised_adult"
    with pytest.raises(CollectorNotBlocked):
        c.lift_block(GRANNY.phone, NOW)


def _authorised(c: Child) -> MedicationAuthorisation:
    authorisation = MedicationAuthorisation(uuid4(), "布洛芬", "5 ml", 3, TODAY, TODAY, MUM)
    c.authorise_medication(authorisation, NOW)
    return authorisation


def test_a_dose_given_before_the_withdrawal_stands_and_one_at_or_after_it_is_refused():
    c = child()
    authorisation = _authorised(c)
    withdrawn = NOW + timedelta(hours=2)
    c.withdraw_medication(authorisation.authorisation_id, withdrawn)
    replayed = c.give_dose(authorisation.authorisation_id, TODAY, withdrawn - timedelta(minutes=1),
                           withdrawn + timedelta(hours=1))  # fmt: skip
    assert replayed.medicine == "布洛芬"
    for at in (withdrawn, withdrawn + timedelta(minutes=5)):
        with pytest.raises(MedicationWithdrawn) as refused:
            c.give_dose(authorisation.authorisation_id, TODAY, at, withdrawn + timedelta(hours=1))
        assert refused.value.field == "authorisation_id"


def test_an_unknown_or_already_withdrawn_authorisation_cannot_be_withdrawn():
    c = child()
    with pytest.raises(MedicationAuthorisationNotFound):
        c.withdraw_medication(uuid4(), NOW)
    authorisation = _authorised(c)
    c.withdraw_medication(authorisation.authorisation_id, NOW)
    with pytest.raises(MedicationWithdrawn):
        c.withdraw_medication(authorisation.authorisation_id, NOW)


def test_a_corrected_profile_is_the_childs_and_the_same_profile_again_records_nothing():
    c = child()
    c.collect_events()
    c.correct_profile(" 小鸣 ", date(2025, 5, 30), Sex.female, NOW)
    assert (c.name, c.birth_date, c.sex) == ("小鸣", date(2025, 5, 30), Sex.female)
    assert len(c.collect_events()) == 1
    c.correct_profile("小鸣", date(2025, 5, 30), Sex.female, NOW + timedelta(days=40))
    assert c.collect_events() == []


@pytest.mark.parametrize(
    ("name", "born", "field"),
    [(" ", date(2025, 6, 1), "name"), ("小明", TODAY + timedelta(days=1), "birth_date"),
     ("小明", date(2023, 11, 30), "birth_date")],
    ids=["blank name", "born after registration", "three years old at registration"],
)  # fmt: skip
def test_a_correction_registration_would_have_refused_is_refused_naming_the_field(
    name: str, born: date, field: str
):
    with pytest.raises(InvalidValue) as refused:
        child().correct_profile(name, born, Sex.male, NOW + timedelta(days=30))
    assert refused.value.field == field


def test_a_birth_date_after_an_examination_on_record_is_refused():
    c = child()
    c.record_health(HealthRecord(HealthRecordKind.admission, date(2026, 9, 1), True, True, MUM),
                    TODAY, NOW)  # fmt: skip
    with pytest.raises(InvalidValue) as refused:
        c.correct_profile("小明", date(2026, 9, 2), Sex.male, NOW)
    assert refused.value.field == "birth_date"
