"""Which children a room may take on a day, and the ratio each child needs there."""

from __future__ import annotations

from datetime import date

from domain.child.aggregate import age_in_months
from domain.class_types import ClassRules, ClassType, chinese_name
from domain.errors import RuleViolated


class AgeDoesNotFit(RuleViolated):
    code = "age-does-not-fit"


def check_age_fits(class_type: ClassType, birth_date: date, day: date, rules: ClassRules) -> int:
    """The child's age in months on `day`, if it fits the class type's window in the city's
    `rules`; else refused."""
    rule = rules[class_type]
    months = age_in_months(birth_date, day)
    if not rule.min_age_months <= months < rule.max_age_months:
        raise AgeDoesNotFit(
            f"a {chinese_name(class_type)} ({class_type}) takes children of "
            f"{rule.min_age_months}–{rule.max_age_months} months; this child is {months} months "
            f"on {day.isoformat()}",
            field="child_id",
            age_months=months,
        )
    return months


def children_per_carer(
    class_type: ClassType, room_ratio: int, months: int, rules: ClassRules
) -> int:
    """The ratio a child needs in the room: the room's own, never looser than the city's rule
    for its class type; a mixed room needs the strictest ratio among its children, so each
    brings its own age's."""
    ratio = min(room_ratio, rules[class_type].children_per_carer)
    if class_type is ClassType.mixed:
        return min(ratio, rules.ratio_for_age(months))
    return ratio
