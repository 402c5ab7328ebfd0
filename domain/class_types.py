"""Class types (班型) with the national limits of 托育机构设置标准（试行）, as parameters (see RULES.md),
and a city's own tighter limits over them (ClassRules)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

import msgspec

from domain.errors import InvalidValue


class ClassType(StrEnum):
    infant = "infant"  # 乳儿班
    toddler = "toddler"  # 托小班
    older_toddler = "older_toddler"  # 托大班
    mixed = "mixed"  # 混合编班
    home_based = "home_based"  # 家庭托育点


class ClassRule(msgspec.Struct, frozen=True):
    """The national default: age window in months [min, max), largest class, children per carer."""

    chinese_name: str
    min_age_months: int
    max_age_months: int
    max_class_size: int
    children_per_carer: int


NATIONAL_CLASS_RULES: dict[ClassType, ClassRule] = {
    ClassType.infant: ClassRule("乳儿班", 6, 12, 10, 3),
    ClassType.toddler: ClassRule("托小班", 12, 24, 15, 5),
    ClassType.older_toddler: ClassRule("托大班", 24, 36, 20, 7),
    # Mixed classes take children from 18 months. The ratio is the strictest among the
    # children present (1:5 while any child is under 24 months, else 1:7), so the room's
    # own figure is the loosest it may run at; each booking brings its child's ratio.
    ClassType.mixed: ClassRule("混合编班", 18, 36, 18, 7),
    ClassType.home_based: ClassRule("家庭托育点", 0, 36, 5, 3),
}

HOME_BASED_POINT_MAX_CHILDREN = 5


def chinese_name(class_type: ClassType) -> str:
    return NATIONAL_CLASS_RULES[class_type].chinese_name


class LocalClassRule(msgspec.Struct, frozen=True):
    """A city's rule for one class type, in place of the national one: never looser (a
    narrower age window, a smaller class, fewer children per carer)."""

    class_type: ClassType
    min_age_months: int
    max_age_months: int
    max_class_size: int
    children_per_carer: int


class ClassRules:
    """The class table in force in a city: its own rules where it set them, else national."""

    __slots__ = ("local",)

    def __init__(self, local: Mapping[ClassType, LocalClassRule] | None = None) -> None:
        self.local = dict(local or {})

    def __getitem__(self, class_type: ClassType) -> ClassRule:
        national = NATIONAL_CLASS_RULES[class_type]
        own = self.local.get(class_type)
        if own is None:
            return national
        return ClassRule(
            national.chinese_name, own.min_age_months, own.max_age_months,
            own.max_class_size, own.children_per_carer,
        )  # fmt: skip

    def ratio_for_age(self, months: int) -> int:
        """Children per carer for a child of this age (its age's class: a mixed room holds
        everyone to the strictest among its children)."""
        if months < 12:
            return self[ClassType.infant].children_per_carer
        if months < 24:
            return self[ClassType.toddler].children_per_carer
        return self[ClassType.older_toddler].children_per_carer


NATIONAL = ClassRules()


def check_local_rule(rule: LocalClassRule, field: str) -> None:
    """A city's rule may tighten the national one, never loosen it; `field` names the rule in
    the request (e.g. `rules[0]`)."""
    national = NATIONAL_CLASS_RULES[rule.class_type]
    name = f"{national.chinese_name} ({rule.class_type})"
    youngest, too_old = national.min_age_months, national.max_age_months
    if not youngest <= rule.min_age_months < rule.max_age_months <= too_old:
        raise InvalidValue(
            f"a {name} age window must lie within the national {youngest}–{too_old} months"
            " and not be empty; "
            f"{rule.min_age_months}–{rule.max_age_months} asked",
            field=f"{field}.min_age_months",
        )
    if not 1 <= rule.max_class_size <= national.max_class_size:
        raise InvalidValue(
            f"a {name} class may be at most the national {national.max_class_size} children;"
            f" {rule.max_class_size} asked",
            field=f"{field}.max_class_size", limit=national.max_class_size,
        )  # fmt: skip
    if not 1 <= rule.children_per_carer <= national.children_per_carer:
        raise InvalidValue(
            f"a {name} needs at least one carer per {national.children_per_carer} children"
            f" nationally; 1:{rule.children_per_carer} is looser",
            field=f"{field}.children_per_carer", limit=national.children_per_carer,
        )  # fmt: skip
