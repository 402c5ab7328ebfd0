"""Rules of filing and rooms: sizes and ratios may be tightened from the city's rule (the national
one unless the city set its own), never loosened."""

from __future__ import annotations

from collections.abc import Iterable

from domain.class_types import HOME_BASED_POINT_MAX_CHILDREN, ClassRules, ClassType
from domain.errors import InvalidValue, RuleViolated
from domain.institution.kinds import Category
from domain.institution.values import Room


def check_filing(name: str, category: Category, filed_places: int) -> None:
    if not name.strip():
        raise InvalidValue("name must not be empty", field="name")
    if filed_places < 1:
        raise InvalidValue("filed places (备案托位) must be at least 1", field="filed_places")
    if category is Category.home_based and filed_places > HOME_BASED_POINT_MAX_CHILDREN:
        raise InvalidValue(
            f"a home-based point (家庭托育点) takes at most {HOME_BASED_POINT_MAX_CHILDREN} children",
            field="filed_places",
            limit=HOME_BASED_POINT_MAX_CHILDREN,
        )


def check_room(category: Category, room: Room, rules: ClassRules) -> None:
    rule = rules[room.class_type]
    home_room = room.class_type is ClassType.home_based
    if (category is Category.home_based) != home_room:
        raise InvalidValue(
            "a home-based point has only 家庭托育点 rooms, and only a home-based point has them",
            field="class_type",
        )
    if not room.name.strip():
        raise InvalidValue("room name must not be empty", field="name")
    if not 1 <= room.capacity <= rule.max_class_size:
        raise InvalidValue(
            f"a {rule.chinese_name} ({room.class_type}) room takes 1 to {rule.max_class_size} "
            f"children; {room.capacity} asked",
            field="capacity",
            limit=rule.max_class_size,
        )
    if not 1 <= room.children_per_carer <= rule.children_per_carer:
        raise InvalidValue(
            f"a {rule.chinese_name} ({room.class_type}) room needs at least one carer per "
            f"{rule.children_per_carer} children; 1:{room.children_per_carer} is looser",
            field="children_per_carer",
            limit=rule.children_per_carer,
        )


def check_rooms_fit_filing(filed_places: int, rooms: Iterable[Room]) -> None:
    total = sum(room.capacity for room in rooms)
    if total > filed_places:
        raise RuleViolated(
            f"rooms would hold {total} children but the institution filed {filed_places} places",
            field="capacity",
            total=total,
            filed_places=filed_places,
        )
