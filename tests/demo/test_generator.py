"""The demo generator is pure: seeded, deterministic, and true to RULES.md and the Suzhou seeds."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import msgspec
import pytest

from backend.demo.generator import generate_city
from backend.demo.geography import CITY_CENTRE
from backend.demo.model import DemoCity
from domain.account.aggregate import normalise_phone
from domain.class_types import (
    HOME_BASED_POINT_MAX_CHILDREN,
    NATIONAL,
    NATIONAL_CLASS_RULES,
    ClassType,
)
from domain.institution.kinds import Category, Ownership
from domain.institution.rules import check_filing, check_room, check_rooms_fit_filing
from domain.institution.values import check_opening_hours, km_between

SMALL = generate_city("small")
SUZHOU = generate_city("suzhou")
BOTH = pytest.mark.parametrize("city", [SMALL, SUZHOU], ids=["small", "suzhou"])


def phones(city: DemoCity) -> list[str]:
    staff = [s.phone for i in city.institutions for s in i.staff]
    return staff + [r.phone for r in city.regulators] + [f.guardian_phone for f in city.families]


@pytest.mark.parametrize("size", ["small", "suzhou"])
def test_the_same_seed_gives_the_same_city(size: str) -> None:
    assert msgspec.json.encode(generate_city(size, 7)) == msgspec.json.encode(
        generate_city(size, 7)
    )


@pytest.mark.parametrize("size", ["small", "suzhou"])
def test_another_seed_gives_another_city(size: str) -> None:
    assert generate_city(size, 7) != generate_city(size, 8)


def test_an_unknown_size_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown demo size"):
        generate_city("beijing")


def test_the_small_city_covers_every_category_ownership_and_puhui_status() -> None:
    assert {i.category for i in SMALL.institutions} == set(Category)
    assert {i.ownership for i in SMALL.institutions} == set(Ownership)
    assert {i.puhui for i in SMALL.institutions} == {True, False}
    assert 10 <= len(SMALL.institutions) <= 14
    assert {d.code for d in SMALL.districts} == {"gusu", "sip", "wuzhong", "xiangcheng"}


def test_the_small_city_has_rooms_of_every_class_type() -> None:
    assert {r.class_type for i in SMALL.institutions for r in i.rooms} == set(ClassType)


@BOTH
def test_every_room_is_within_the_national_limits_and_rooms_fit_the_filed_places(
    city: DemoCity,
) -> None:
    for inst in city.institutions:
        check_filing(inst.name, inst.category, inst.filed_places)
        assert inst.rooms, inst.name
        for room in inst.rooms:
            check_room(inst.category, room, NATIONAL)
            rule = NATIONAL_CLASS_RULES[room.class_type]
            assert 1 <= room.capacity <= rule.max_class_size
            assert room.children_per_carer == rule.children_per_carer
        check_rooms_fit_filing(inst.filed_places, inst.rooms)
        assert len({r.name for r in inst.rooms}) == len(inst.rooms)


@BOTH
def test_home_based_points_file_at_most_five_places_in_one_home_based_room(city: DemoCity) -> None:
    homes = [i for i in city.institutions if i.category is Category.home_based]
    assert homes
    for home in homes:
        assert home.filed_places <= HOME_BASED_POINT_MAX_CHILDREN
        assert [r.class_type for r in home.rooms] == [ClassType.home_based]


@BOTH
def test_opening_hours_are_weekdays_from_half_seven_or_eight_with_some_saturdays_and_late_care(
    city: DemoCity,
) -> None:
    for inst in city.institutions:
        check_opening_hours(inst.opening_hours)
        weekdays = [h for h in inst.opening_hours if h.weekday <= 5]
        assert [h.weekday for h in weekdays] == [1, 2, 3, 4, 5]
        assert all(h.opens in (450, 480) and 1050 <= h.closes <= 1140 for h in weekdays)
        assert all(h.closes <= 12 * 60 for h in inst.opening_hours if h.weekday == 6)
    assert any(h.weekday == 6 for i in city.institutions for h in i.opening_hours)
    assert any(h.closes == 19 * 60 for i in city.institutions for h in i.opening_hours)


def test_small_institutions_lie_within_about_ten_km_of_suzhou_centre() -> None:
    for inst in SMALL.institutions:
        assert km_between(CITY_CENTRE, (inst.location.lat, inst.location.lng)) < 12.0, inst.name


@BOTH
def test_every_institution_and_family_names_a_known_district_and_town(city: DemoCity) -> None:
    towns = {d.code: set(d.towns) for d in city.districts}
    for place in [*city.institutions, *city.families]:
        assert place.town in towns[place.district_code]


@BOTH
def test_phones_are_unique_valid_mainland_mobile_numbers(city: DemoCity) -> None:
    numbers = phones(city)
    assert len(set(numbers)) == len(numbers)
    assert all(normalise_phone(n) == n for n in numbers)


def test_the_documented_small_accounts_do_not_depend_on_the_seed() -> None:
    other = generate_city("small", 99)
    assert phones(other) == phones(SMALL)
    first = SMALL.institutions[0]
    assert (first.name, first.admin.phone) == ("姑苏区平江托育中心", "13800000001")
    assert [c.phone for c in first.caregivers][:2] == ["13700000001", "13700000002"]
    assert [r.phone for r in SMALL.regulators[:2]] == ["13900000001", "13900000011"]
    assert SMALL.regulators[0].district_code is None
    assert SMALL.families[0].guardian_phone == "13600000001"


def test_staff_are_one_admin_and_one_to_four_caregivers_in_the_small_city() -> None:
    for inst in SMALL.institutions:
        assert inst.admin.role == "institution_admin"
        assert 1 <= len(inst.caregivers) <= 4
        assert all(c.role == "caregiver" for c in inst.caregivers)


@BOTH
def test_children_are_born_within_36_months_before_the_reference_date(city: DemoCity) -> None:
    children = [c for f in city.families for c in f.children]
    assert all(f.children for f in city.families)
    assert all(
        city.reference_date - timedelta(days=1096) < c.birth_date <= city.reference_date
        for c in children
    )
    assert {c.sex for c in children} == {"female", "male"}


def test_the_small_city_has_about_twenty_guardians() -> None:
    assert 15 <= len(SMALL.families) <= 25


def test_suzhou_has_752_institutions_and_44500_places_within_two_percent() -> None:
    assert len(SUZHOU.institutions) == 752
    assert abs(SUZHOU.filed_places - 44_500) <= 0.02 * 44_500


def test_suzhou_shares_are_those_the_seeds_report() -> None:
    n = len(SUZHOU.institutions)
    share = Counter(i.category for i in SUZHOU.institutions)
    assert sum(i.puhui for i in SUZHOU.institutions) / n < 0.20
    assert abs(share[Category.kindergarten_class] / n - 0.35) < 0.02
    assert abs(share[Category.home_based] / n - 0.08) < 0.01
    assert abs(share[Category.community_point] / n - 0.10) < 0.01
    assert abs(share[Category.employer] / n - 0.03) < 0.01
    public = sum(i.ownership is Ownership.public for i in SUZHOU.institutions)
    assert abs(public / n - 0.30) < 0.02


def test_suzhou_has_ten_districts_of_about_12_9_million_residents() -> None:
    assert len(SUZHOU.districts) == 10
    assert 12_500_000 < sum(d.population for d in SUZHOU.districts) < 13_300_000


def test_every_suzhou_town_has_a_puhui_institution() -> None:
    covered = {(i.district_code, i.town) for i in SUZHOU.institutions if i.puhui}
    assert covered == {(d.code, t) for d in SUZHOU.districts for t in d.towns}


def test_suzhou_has_about_one_caregiver_per_six_places() -> None:
    carers = sum(len(i.caregivers) for i in SUZHOU.institutions)
    assert 5.0 < SUZHOU.filed_places / carers < 7.0
    assert all(len(i.caregivers) >= 1 for i in SUZHOU.institutions)
