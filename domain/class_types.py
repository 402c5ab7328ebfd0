"""Class types (班型) with the national limits of 托育机构设置标准（试行）, as parameters (see RULES.md)."""

from __future__ import annotations

from enum import StrEnum

import msgspec


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
