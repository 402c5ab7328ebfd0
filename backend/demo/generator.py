"""The demo city generator: `generate_city(size, seed)` is pure and gives the same city for a seed.

"small" is a hand-planned slice of Suzhou (4 districts, 12 institutions covering every category
and class type) for `make run`; "suzhou" is the whole city at the scale of the 2023 report in
the seeds: 752 institutions, 44,500 filed places, 123 普惠 institutions (< 20 %).
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from uuid import UUID, uuid5

from backend.demo import names
from backend.demo.geography import (
    CITY_CODE,
    CITY_NAME,
    SMALL_DISTRICTS,
    SUZHOU,
    TIMEZONE,
    Area,
    areas,
    scatter,
)
from backend.demo.institutions import (
    Phones,
    Plan,
    build_institution,
    carers_for_city,
    carers_for_small,
)
from backend.demo.model import REFERENCE_DATE, DemoChild, DemoCity, DemoFamily, DemoRegulator
from domain.class_types import ClassType as C
from domain.institution.kinds import Category, Ownership
from domain.institution.values import Location

DEMO_NAMESPACE = UUID("3d0f6a52-7c1e-4b8e-9a43-5e2b9c0d7f11")
SIZES = ("small", "suzhou")
PUB, PRI = Ownership.public, Ownership.private

SMALL_PLAN: tuple[Plan, ...] = (
    Plan("gusu", "平江街道", Category.center, PRI, True, 60, "sat", "姑苏区平江托育中心",
         ((C.infant, 10), (C.toddler, 15), (C.older_toddler, 20), (C.mixed, 15))),
    Plan("gusu", "双塔街道", Category.kindergarten_class, PUB, True, 40, "std", "姑苏区双塔实验幼儿园托班",
         ((C.older_toddler, 20), (C.older_toddler, 18))),
    Plan("gusu", "金阊街道", Category.community_point, PUB, True, 30, "std", "金阊街道彩香社区托育点",
         ((C.toddler, 12), (C.mixed, 16))),
    Plan("gusu", "沧浪街道", Category.home_based, PRI, False, 5, "std", "沧浪·顾阿姨家庭托育点",
         ((C.home_based, 5),)),
    Plan("sip", "斜塘街道", Category.center, PRI, False, 80, "late+sat", "工业园区斜塘托育中心",
         ((C.infant, 9), (C.toddler, 15), (C.toddler, 15), (C.older_toddler, 20), (C.older_toddler, 20))),
    Plan("sip", "娄葑街道", Category.kindergarten_class, PUB, False, 55, "std", "工业园区星湾幼儿园托班",
         ((C.toddler, 15), (C.older_toddler, 20), (C.older_toddler, 20))),
    Plan("sip", "唯亭街道", Category.employer, PRI, False, 30, "late", "园区纳米城职工托育园",
         ((C.toddler, 12), (C.mixed, 18))),
    Plan("wuzhong", "长桥街道", Category.center, PRI, True, 45, "std", "吴中区长桥托育中心",
         ((C.infant, 8), (C.toddler, 15), (C.older_toddler, 20))),
    Plan("wuzhong", "木渎镇", Category.home_based, PRI, False, 4, "std", "木渎·沈阿姨家庭托育点",
         ((C.home_based, 4),)),
    Plan("wuzhong", "越溪街道", Category.community_point, PUB, True, 20, "sat", "越溪街道旺山社区托育点",
         ((C.mixed, 18),)),
    Plan("xiangcheng", "元和街道", Category.employer, PUB, False, 32, "late", "相城区医疗集团职工托育园",
         ((C.infant, 6), (C.toddler, 12), (C.older_toddler, 14))),
    Plan("xiangcheng", "黄桥街道", Category.center, PRI, False, 50, "late", "相城区黄桥托育中心",
         ((C.toddler, 15), (C.older_toddler, 20), (C.mixed, 15))),
)  # fmt: skip

SUZHOU_PLACES = 44_500
# (category, 普惠, public, private): 752 in all; 123 普惠 (16 %), 226 public (30 %),
# 托幼一体化 263 (35 %), 家庭托育点 60 (8 %), 社区 75 (10 %), 用人单位 23 (3 %), centres 331.
SUZHOU_MIX: tuple[tuple[Category, bool, int, int], ...] = (
    (Category.kindergarten_class, True, 40, 5),
    (Category.kindergarten_class, False, 130, 88),
    (Category.community_point, True, 30, 10),
    (Category.community_point, False, 8, 27),
    (Category.employer, True, 3, 2),
    (Category.employer, False, 5, 13),
    (Category.center, True, 6, 27),
    (Category.center, False, 4, 294),
    (Category.home_based, False, 0, 60),
)
PLACE_BOUNDS: dict[Category, tuple[int, int]] = {
    Category.center: (30, 260),
    Category.kindergarten_class: (20, 90),
    Category.community_point: (12, 45),
    Category.employer: (20, 120),
    Category.home_based: (3, 5),
}


def generate_city(size: str, seed: int = 2026, reference_date: date = REFERENCE_DATE) -> DemoCity:
    """The demo city of `size` ("small" or "suzhou"); the same seed and reference date always
    give the same city. Children are born within 36 months before `reference_date`: a loader
    passes the day it loads, so the children keep their ages (and their places) however long
    after this was written the demo is loaded."""
    if size not in SIZES:
        raise ValueError(f"unknown demo size {size!r}; choose one of {', '.join(SIZES)}")
    rng = random.Random(seed)
    city_areas = areas(SMALL_DISTRICTS if size == "small" else None)
    by_code = {a.district.code: a for a in city_areas}

    def ids(key: str) -> UUID:
        return uuid5(DEMO_NAMESPACE, f"{size}/{seed}/{key}")

    plans = SMALL_PLAN if size == "small" else suzhou_plans(rng, city_areas)
    carers = carers_for_small if size == "small" else carers_for_city
    phones, taken = Phones(), set[str]()
    institutions = tuple(
        build_institution(
            rng, plan, by_code[plan.district_code], index=i, ids=ids, phones=phones,
            caregiver_count=carers, taken=taken,
        )
        for i, plan in enumerate(plans, start=1)
    )  # fmt: skip
    families = tuple(
        family(rng, city_areas, phones, reference_date)
        for _ in range(20 if size == "small" else 300)
    )
    return DemoCity(
        size=size,
        seed=seed,
        city_id=ids("city"),
        code=CITY_CODE,
        name=CITY_NAME,
        timezone=TIMEZONE,
        districts=tuple(a.district for a in city_areas),
        institutions=institutions,
        regulators=regulators(rng, city_areas),
        families=families,
        reference_date=reference_date,
    )


def regulators(rng: random.Random, city_areas: tuple[Area, ...]) -> tuple[DemoRegulator, ...]:
    """市卫健委 on 13900000001; each district's 卫健委 on 13900000010 + its place in SUZHOU
    (姑苏区 11, 虎丘区 12, 吴中区 13, …), so a district keeps its number in every size."""
    city = DemoRegulator("13900000001", f"苏州市卫健委·{names.person(rng)}", None)
    return (city, *(
        DemoRegulator(f"139{10 + SUZHOU.index(a) + 1:08d}", f"{a.district.name}卫健委·{names.person(rng)}", a.district.code)
        for a in city_areas
    ))  # fmt: skip


def family(
    rng: random.Random, city_areas: tuple[Area, ...], phones: Phones, reference_date: date
) -> DemoFamily:
    """A guardian and one child (sometimes two: twins, or siblings at least 15 months apart)."""
    area = rng.choices(city_areas, weights=[a.district.population for a in city_areas])[0]
    town = rng.choice(area.district.towns)
    surname = rng.choice(names.SURNAMES)
    guardian = names.person(rng, surname if rng.random() < 0.5 else None)
    ages = [rng.randint(0, 1094)]
    if rng.random() < 0.15:
        first = ages[0]
        if rng.random() < 0.3:
            ages.append(first)
        else:
            ages.append(
                rng.randint(0, first - 450) if first >= 450 else rng.randint(first + 450, 1094)
            )
    children = tuple(
        DemoChild(names.child(rng, surname), reference_date - timedelta(days=age), rng.choice(("female", "male")))
        for age in sorted(ages, reverse=True)
    )  # fmt: skip
    lat, lng = scatter(rng, area.centre, area.radius_km)
    home = names.address(rng, area.district.name, town)
    return DemoFamily(
        phones.next_guardian(), guardian, area.district.code, town,
        Location(home, lat, lng), children,
    )  # fmt: skip


def suzhou_plans(rng: random.Random, city_areas: tuple[Area, ...]) -> list[Plan]:
    """752 plans: each town/street gets a 普惠 institution first (一街道一乡镇一普惠, as the
    report says Suzhou achieved), the other 普惠 ones and the rest follow population."""
    kinds = [(cat, puhui, own) for cat, puhui, public, private in SUZHOU_MIX
             for own, n in ((PUB, public), (PRI, private)) for _ in range(n)]  # fmt: skip
    rng.shuffle(kinds)
    puhui = [k for k in kinds if k[1]]
    others = [k for k in kinds if not k[1]]
    populations = [a.district.population for a in city_areas]
    quotas = apportion(len(kinds), populations)
    towns = [(a, t) for a in city_areas for t in a.district.towns]
    extra = apportion(len(puhui) - len(towns), populations)
    placed: dict[str, list[tuple[str, tuple[Category, bool, Ownership]]]] = {
        a.district.code: [] for a in city_areas
    }
    for (area, town), kind in zip(towns, puhui, strict=False):
        placed[area.district.code].append((town, kind))
    rest = iter(puhui[len(towns) :])
    for area, n in zip(city_areas, extra, strict=True):
        placed[area.district.code] += [
            (rng.choice(area.district.towns), next(rest)) for _ in range(n)
        ]
    rest = iter(others)
    for area, quota in zip(city_areas, quotas, strict=True):
        group = placed[area.district.code]
        group += [(rng.choice(area.district.towns), next(rest)) for _ in range(quota - len(group))]
        rng.shuffle(group)
    ordered = [(code, town, kind) for code, group in placed.items() for town, kind in group]
    places = filed_places(rng, [kind[0] for _, _, kind in ordered], SUZHOU_PLACES)
    return [
        Plan(code, town, cat, own, puhui_, n)
        for (code, town, (cat, puhui_, own)), n in zip(ordered, places, strict=True)
    ]


def filed_places(rng: random.Random, categories: list[Category], target: int) -> list[int]:
    """Sizes drawn per category, scaled to `target` in all; centres absorb the rounding."""
    raw = [_draw_places(rng, c) for c in categories]
    home = sum(p for p, c in zip(raw, categories, strict=True) if c is Category.home_based)
    factor = (target - home) / (sum(raw) - home)
    places = [
        p if c is Category.home_based else min(max(round(p * factor), PLACE_BOUNDS[c][0]), PLACE_BOUNDS[c][1])
        for p, c in zip(raw, categories, strict=True)
    ]  # fmt: skip
    centres = [i for i, c in enumerate(categories) if c is Category.center]
    low, high = PLACE_BOUNDS[Category.center]
    k, missing = 0, target - sum(places)
    while missing and k < 100 * len(centres):
        i, step = centres[k % len(centres)], (1 if missing > 0 else -1)
        if low <= places[i] + step <= high:
            places[i] += step
            missing -= step
        k += 1
    return places


def _draw_places(rng: random.Random, category: Category) -> int:
    low, high = PLACE_BOUNDS[category]
    if category is Category.center:  # a long tail: a few centres take 150+ children
        return min(max(int(rng.lognormvariate(math.log(72), 0.5)), low), high)
    return rng.randint(low, high)


def apportion(total: int, weights: list[int]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder): the parts sum to `total`."""
    shares = [total * w / sum(weights) for w in weights]
    parts = [int(s) for s in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: parts[i] - shares[i])
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts
