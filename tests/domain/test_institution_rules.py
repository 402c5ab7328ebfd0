"""Institution rules, given a city: filing, opening hours, rooms within class limits and filed places."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from domain.city.aggregate import City, District
from domain.class_types import NATIONAL, ClassType
from domain.errors import AlreadyExists, InvalidValue, NotFound, RuleViolated
from domain.institution.aggregate import Institution
from domain.institution.kinds import Category, Ownership, StaffRole
from domain.institution.values import Location, OpeningInterval, Room

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
WEEKDAYS = tuple(OpeningInterval(d, 8 * 60, 17 * 60 + 30) for d in range(1, 6))


def city() -> City:
    c = City.register(uuid4(), "suzhou", "苏州", "Asia/Shanghai", NOW)
    c.add_district(District("gusu", "姑苏区", 950_000, ("平江街道",)), NOW)
    return c


def institution(category: Category = Category.center, filed_places: int = 40, **kw) -> Institution:
    return Institution.register(
        uuid4(), city(), name="平江托育中心", district_code=kw.get("district", "gusu"),
        town=kw.get("town", "平江街道"), location=kw.get("location", Location("平江路", 31.3, 120.6)),
        category=category, ownership=Ownership.private, puhui=True, filed_places=filed_places,
        timezone="Asia/Shanghai", opening_hours=kw.get("hours", WEEKDAYS), now=NOW,
    )  # fmt: skip


def room(class_type: ClassType = ClassType.toddler, capacity: int = 10, ratio: int = 5) -> Room:
    return Room(uuid4(), "向日葵班", class_type, capacity, ratio)


def test_registering_an_institution_records_one_registered_event():
    events = institution().collect_events()
    assert [type(e).__name__ for e in events] == ["Registered"]


def test_an_unknown_district_is_refused():
    with pytest.raises(NotFound) as refused:
        institution(district="atlantis")
    assert refused.value.field == "district_code"


def test_an_unknown_town_is_refused():
    with pytest.raises(NotFound) as refused:
        institution(town="火星街道")
    assert refused.value.field == "town"


def test_overlapping_opening_hours_on_one_weekday_are_refused():
    hours = (OpeningInterval(1, 480, 720), OpeningInterval(1, 700, 1020))
    with pytest.raises(InvalidValue, match="overlap"):
        institution(hours=hours)


def test_back_to_back_opening_hours_are_accepted():
    hours = (OpeningInterval(1, 480, 720), OpeningInterval(1, 720, 1020))
    assert institution(hours=hours).opening_hours == hours


def test_opening_hours_closing_before_they_open_are_refused():
    with pytest.raises(InvalidValue):
        institution(hours=(OpeningInterval(2, 1020, 480),))


def test_coordinates_out_of_range_are_refused_naming_the_field():
    with pytest.raises(InvalidValue) as refused:
        institution(location=Location("x", 31.0, 181.0))
    assert refused.value.field == "location.lng"


@pytest.mark.parametrize(
    ("class_type", "largest", "ratio"),
    [
        (ClassType.infant, 10, 3),
        (ClassType.toddler, 15, 5),
        (ClassType.older_toddler, 20, 7),
        (ClassType.mixed, 18, 7),
    ],
)
def test_each_class_type_takes_up_to_its_national_size_and_no_more(class_type, largest, ratio):
    inst = institution(filed_places=100)
    inst.add_room(room(class_type, largest, ratio), NATIONAL, NOW)
    with pytest.raises(InvalidValue) as refused:
        inst.add_room(room(class_type, largest + 1, ratio), NATIONAL, NOW)
    assert refused.value.field == "capacity"


def test_a_stricter_ratio_is_allowed_but_a_looser_one_is_refused():
    inst = institution()
    inst.add_room(room(ClassType.toddler, 10, 4), NATIONAL, NOW)
    with pytest.raises(InvalidValue) as refused:
        inst.add_room(room(ClassType.toddler, 10, 6), NATIONAL, NOW)
    assert refused.value.field == "children_per_carer"


def test_rooms_together_may_not_exceed_the_filed_places():
    inst = institution(filed_places=25)
    inst.add_room(room(capacity=15), NATIONAL, NOW)
    with pytest.raises(RuleViolated):
        inst.add_room(room(capacity=11), NATIONAL, NOW)
    inst.add_room(room(capacity=10), NATIONAL, NOW)


def test_resizing_a_room_counts_the_other_rooms_only():
    inst = institution(filed_places=25)
    inst.add_room(room(capacity=15), NATIONAL, NOW)
    second = room(capacity=10)
    inst.add_room(second, NATIONAL, NOW)
    inst.change_room(Room(second.room_id, "改名班", ClassType.toddler, 10, 5), NATIONAL, NOW)
    with pytest.raises(RuleViolated):
        inst.change_room(Room(second.room_id, "改名班", ClassType.toddler, 11, 5), NATIONAL, NOW)
    assert inst.rooms[second.room_id].name == "改名班"


def test_a_home_based_point_files_at_most_five_places_and_has_only_home_rooms():
    with pytest.raises(InvalidValue):
        institution(Category.home_based, filed_places=6)
    point = institution(Category.home_based, filed_places=5)
    point.add_room(room(ClassType.home_based, 5, 3), NATIONAL, NOW)
    with pytest.raises(InvalidValue):
        point.add_room(room(ClassType.toddler, 5, 5), NATIONAL, NOW)


def test_a_center_cannot_have_a_home_based_room():
    with pytest.raises(InvalidValue):
        institution().add_room(room(ClassType.home_based, 5, 3), NATIONAL, NOW)


def test_attaching_the_same_staff_member_twice_in_the_same_role_is_refused():
    inst = institution()
    person = uuid4()
    inst.attach_staff(person, StaffRole.caregiver, NOW)
    with pytest.raises(AlreadyExists):
        inst.attach_staff(person, StaffRole.caregiver, NOW)
    inst.attach_staff(person, StaffRole.institution_admin, NOW)  # promotion is a change
    assert inst.staff[person] is StaffRole.institution_admin


def test_the_domain_never_reads_the_clock():
    inst = institution()
    with pytest.raises(RuntimeError, match="never reads the clock"):
        inst.trigger_event(Institution.StaffDetached, account_id=uuid4())


def test_a_closure_of_the_whole_institution_closes_every_room_that_day_only():
    inst = institution()
    r = room()
    inst.add_room(r, NATIONAL, NOW)
    day = date(2026, 12, 24)
    inst.announce_closure(day, None, "圣诞节活动", NOW)
    assert inst.day_terms(r.room_id, day, NATIONAL).closed == "圣诞节活动"
    assert inst.day_terms(r.room_id, date(2026, 12, 25), NATIONAL).closed is None
    with pytest.raises(AlreadyExists):
        inst.announce_closure(day, None, "again", NOW)
    with pytest.raises(InvalidValue):
        inst.announce_closure(date(2026, 12, 26), r.room_id, "  ", NOW)


def test_a_same_day_closure_holds_from_its_announcement_and_a_day_gone_cannot_be_closed():
    inst = institution()
    r = room()
    inst.add_room(r, NATIONAL, NOW)
    arrived, announced = NOW + timedelta(hours=1), NOW + timedelta(hours=3)
    inst.announce_closure(NOW.date(), r.room_id, "水管爆裂", announced)
    assert (
        inst.closed_reason(r.room_id, NOW.date(), announced_by=arrived) is None
    )  # recorded before it
    assert inst.closed_reason(r.room_id, NOW.date(), announced_by=announced) == "水管爆裂"
    with pytest.raises(InvalidValue) as refused:
        inst.announce_closure(NOW.date() - timedelta(days=1), None, "补记", announced)
    assert refused.value.field == "date"
