"""One demo institution from its plan: name, address and map point, rooms, opening hours, staff."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from backend.demo import names
from backend.demo.geography import Area, scatter, short_town
from backend.demo.model import DemoInstitution, DemoStaff
from domain.class_types import NATIONAL_CLASS_RULES, ClassType
from domain.institution.kinds import Category, Ownership, StaffRole
from domain.institution.values import Location, OpeningInterval, Room

# Which classes each kind of institution opens first (kindergartens mostly take 2–3-year-olds).
ROOM_PATTERNS: dict[Category, tuple[ClassType, ...]] = {
    Category.center: (
        ClassType.infant, ClassType.toddler, ClassType.older_toddler, ClassType.toddler,
        ClassType.older_toddler, ClassType.mixed, ClassType.older_toddler, ClassType.toddler,
    ),
    Category.kindergarten_class: (ClassType.older_toddler, ClassType.older_toddler, ClassType.toddler),
    Category.community_point: (ClassType.mixed, ClassType.toddler, ClassType.mixed),
    Category.employer: (ClassType.toddler, ClassType.older_toddler, ClassType.infant, ClassType.mixed),
    Category.home_based: (ClassType.home_based,),
}  # fmt: skip
# Sizes rooms are actually opened at: near, never above, the national maximum.
ROOM_SIZES: dict[ClassType, tuple[int, int]] = {
    ClassType.infant: (8, 10),
    ClassType.toddler: (12, 15),
    ClassType.older_toddler: (15, 20),
    ClassType.mixed: (12, 18),
    ClassType.home_based: (1, 5),
}
SMALLEST_ROOM = 6


@dataclass(frozen=True)
class Plan:
    """What an institution is before it gets names and rooms; `rooms`/`name` fixed in the small city."""

    district_code: str
    town: str
    category: Category
    ownership: Ownership
    puhui: bool
    filed_places: int
    hours: str | None = None  # "std", "sat", "late" or "late+sat"; None: drawn from the rng
    name: str = ""
    rooms: tuple[tuple[ClassType, int], ...] = ()


def layout_rooms(
    rng: random.Random, category: Category, places: int
) -> list[tuple[ClassType, int]]:
    """Rooms whose capacities fill the filed places exactly, each within its national maximum."""
    if category is Category.home_based:
        return [(ClassType.home_based, places)]  # one group of at most five children
    pattern = ROOM_PATTERNS[category]
    rooms: list[tuple[ClassType, int]] = []
    remaining = places
    while remaining > 0:
        class_type = pattern[len(rooms) % len(pattern)]
        low, high = ROOM_SIZES[class_type]
        size = min(remaining, rng.randint(low, high))
        left = remaining - size
        if 0 < left < SMALLEST_ROOM:  # no room of two children at the end
            size = remaining if remaining <= high else remaining - SMALLEST_ROOM
        rooms.append((class_type, size))
        remaining -= size
    return rooms


def opening_hours(rng: random.Random, style: str) -> tuple[OpeningInterval, ...]:
    """Mon–Fri 07:30/08:00 to 17:30/18:00; 延时 to 19:00 when "late"; Saturday mornings when "sat"."""
    opens = rng.choice((7 * 60 + 30, 8 * 60))
    closes = 19 * 60 if "late" in style else rng.choice((17 * 60 + 30, 18 * 60))
    week = [OpeningInterval(day, opens, closes) for day in range(1, 6)]
    if "sat" in style:
        week.append(OpeningInterval(6, 8 * 60 + 30, 12 * 60))
    return tuple(week)


def hours_style(rng: random.Random, category: Category) -> str:
    if category in (Category.kindergarten_class, Category.home_based):
        return "std"  # they keep the kindergarten's or the family's day
    return rng.choices(("std", "sat", "late", "late+sat"), weights=(70, 15, 10, 5))[0]


def institution_name(rng: random.Random, plan: Plan, area: Area, taken: set[str]) -> str:
    district, town = area.district.name, short_town(plan.town)
    for attempt in range(8):
        flavour = rng.choice(names.FLAVOURS) if attempt or rng.random() < 0.7 else ""
        match plan.category:
            case Category.center:
                name = f"{district}{town}{flavour}托育中心"
            case Category.kindergarten_class if plan.ownership is Ownership.public:
                name = f"{district}{town}{rng.choice(names.KINDERGARTEN_WORDS)}幼儿园托班"
            case Category.kindergarten_class:
                name = f"{town}{flavour}幼儿园托班"
            case Category.community_point:
                name = f"{plan.town}{rng.choice(names.COMMUNITIES)}社区托育点"
            case Category.home_based:
                name = f"{town}·{rng.choice(names.SURNAMES)}阿姨家庭托育点"
            case _:
                name = f"{town}{rng.choice(names.EMPLOYERS)}职工托育园"
        if name not in taken:
            return name
    return f"{name}{len(taken) + 1}号园"


@dataclass
class Phones:
    """Fixed numbering: city regulator 13900000001, district regulators 13900000011…,
    admins 13800000001…, caregivers 13700000001…, guardians 13600000001…"""

    caregivers: int = 0
    guardians: int = 0

    @staticmethod
    def admin(index: int) -> str:
        return f"138{index:08d}"

    def next_caregiver(self) -> str:
        self.caregivers += 1
        return f"137{self.caregivers:08d}"

    def next_guardian(self) -> str:
        self.guardians += 1
        return f"136{self.guardians:08d}"


def build_institution(
    rng: random.Random,
    plan: Plan,
    area: Area,
    *,
    index: int,
    ids: Callable[[str], UUID],
    phones: Phones,
    caregiver_count: Callable[[int], int],
    taken: set[str],
) -> DemoInstitution:
    """The `index`-th institution (1-based): its admin has phone 138 + index."""
    name = plan.name or institution_name(rng, plan, area, taken)
    taken.add(name)
    lat, lng = scatter(rng, area.centre, area.radius_km)
    layout = list(plan.rooms) or layout_rooms(rng, plan.category, plan.filed_places)
    room_labels = names.room_names(rng, [NATIONAL_CLASS_RULES[c].chinese_name for c, _ in layout])
    rooms = tuple(
        Room(ids(f"institution/{index}/room/{k}"), label, class_type, capacity,
             NATIONAL_CLASS_RULES[class_type].children_per_carer)
        for k, ((class_type, capacity), label) in enumerate(zip(layout, room_labels, strict=True))
    )  # fmt: skip
    admin_name = f"{rng.choice(names.SURNAMES)}园长"
    if plan.category is Category.home_based:  # the 阿姨 the point is named after runs it
        admin_name = name.split("·")[-1].removesuffix("家庭托育点")
    admin = DemoStaff(phones.admin(index), admin_name, StaffRole.institution_admin)
    carers = [
        DemoStaff(phones.next_caregiver(), teacher, StaffRole.caregiver)
        for teacher in names.teachers(rng, caregiver_count(plan.filed_places))
    ]
    return DemoInstitution(
        institution_id=ids(f"institution/{index}"),
        name=name,
        district_code=plan.district_code,
        town=plan.town,
        location=Location(names.address(rng, area.district.name, plan.town), lat, lng),
        category=plan.category,
        ownership=plan.ownership,
        puhui=plan.puhui,
        filed_places=plan.filed_places,
        opening_hours=opening_hours(rng, plan.hours or hours_style(rng, plan.category)),
        rooms=rooms,
        staff=(admin, *carers),
    )


def carers_for_small(places: int) -> int:
    return min(4, max(1, math.ceil(places / 15)))


def carers_for_city(places: int) -> int:
    """Roughly one caregiver per six filed places (the ratios need more at peak, fewer on average)."""
    return max(1, round(places / 6))
