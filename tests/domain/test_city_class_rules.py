"""A city's class rules: national where it set none, its own (never looser) where it did, and a
room set up before a tightening run at the city's limit."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.class_types import NATIONAL, ClassType, LocalClassRule
from domain.errors import InvalidValue
from tests.domain.test_institution_rules import NOW, city, institution, room

INFANTS_BY_TWO = LocalClassRule(ClassType.infant, 6, 12, 8, 2)
TODDLERS_FROM_16 = LocalClassRule(ClassType.toddler, 16, 24, 12, 4)


def test_a_city_without_rules_of_its_own_follows_the_national_table():
    rules = city().class_rules()
    assert rules[ClassType.toddler] == NATIONAL[ClassType.toddler]
    assert [rules.ratio_for_age(m) for m in (8, 20, 30)] == [3, 5, 7]


def test_a_city_s_rules_replace_the_national_ones_for_the_class_types_it_names_only():
    c = city()
    c.set_class_rules((INFANTS_BY_TWO, TODDLERS_FROM_16), uuid4(), NOW)
    rules = c.class_rules()
    assert rules[ClassType.toddler].min_age_months == 16
    assert rules[ClassType.toddler].chinese_name == "托小班"
    assert rules[ClassType.older_toddler] == NATIONAL[ClassType.older_toddler]
    # a mixed room holds each child to its own age's ratio: the city's, where it set one
    assert [rules.ratio_for_age(m) for m in (8, 20, 30)] == [2, 4, 7]
    c.set_class_rules((), uuid4(), NOW)  # left out: national again
    assert c.class_rules()[ClassType.toddler] == NATIONAL[ClassType.toddler]


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (LocalClassRule(ClassType.toddler, 12, 24, 15, 6), "rules[0].children_per_carer"),
        (LocalClassRule(ClassType.toddler, 12, 24, 16, 5), "rules[0].max_class_size"),
        (LocalClassRule(ClassType.toddler, 11, 24, 15, 5), "rules[0].min_age_months"),
        (LocalClassRule(ClassType.toddler, 12, 25, 15, 5), "rules[0].min_age_months"),
        (LocalClassRule(ClassType.toddler, 18, 18, 15, 5), "rules[0].min_age_months"),
        (LocalClassRule(ClassType.toddler, 12, 24, 0, 5), "rules[0].max_class_size"),
    ],
)
def test_a_city_may_tighten_a_national_rule_never_loosen_it(rule: LocalClassRule, field: str):
    c = city()
    with pytest.raises(InvalidValue) as refused:
        c.set_class_rules((rule,), uuid4(), NOW)
    assert refused.value.field == field
    assert c.class_rules()[ClassType.toddler] == NATIONAL[ClassType.toddler]


def test_a_room_set_up_before_a_tightening_runs_at_the_city_s_limit_and_new_ones_within_it():
    inst = institution()
    before = room(ClassType.toddler, 15, 5)
    inst.add_room(before, NATIONAL, NOW)
    c = city()
    c.set_class_rules((TODDLERS_FROM_16,), uuid4(), NOW)
    in_force = inst.room_in_force(before.room_id, c.class_rules())
    assert (in_force.capacity, in_force.children_per_carer) == (12, 4)
    assert inst.room_in_force(before.room_id, NATIONAL) == before
    with pytest.raises(InvalidValue) as refused:
        inst.add_room(room(ClassType.toddler, 13, 4), c.class_rules(), NOW)
    assert refused.value.field == "capacity"
