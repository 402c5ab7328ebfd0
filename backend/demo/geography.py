"""Suzhou's ten districts and county-level cities: real towns/streets, resident counts, rough centres.

Populations are rounded 2023 estimates (7th census 2020 plus growth), 12.9 million in all;
centres are approximate and only place the demo institutions plausibly on a map.
"""

from __future__ import annotations

import math
import random

import msgspec

from domain.city.aggregate import District

CITY_CODE = "suzhou"
CITY_NAME = "苏州市"
TIMEZONE = "Asia/Shanghai"
CITY_CENTRE = (31.2989, 120.5853)


class Area(msgspec.Struct, frozen=True):
    """A district with where its institutions cluster: centre (lat, lng) and radius in km."""

    district: District
    centre: tuple[float, float]
    radius_km: float


def _area(code: str, name: str, population: int, towns: str, centre: tuple[float, float], radius: float) -> Area:  # fmt: skip
    return Area(District(code, name, population, tuple(towns.split())), centre, radius)


SUZHOU: tuple[Area, ...] = (
    _area("gusu", "姑苏区", 935_000,
          "平江街道 双塔街道 金阊街道 沧浪街道 虎丘街道 吴门桥街道 白洋湾街道 苏锦街道",
          (31.3120, 120.6170), 2.5),
    _area("huqiu", "虎丘区", 845_000,
          "狮山横塘街道 枫桥街道 浒墅关镇 通安镇 东渚街道 镇湖街道",
          (31.2980, 120.5420), 6.0),
    _area("wuzhong", "吴中区", 1_405_000,
          "长桥街道 越溪街道 郭巷街道 横泾街道 香山街道 城南街道 甪直镇 木渎镇 胥口镇 东山镇 "
          "光福镇 金庭镇 临湖镇",
          (31.2620, 120.6320), 3.0),
    _area("xiangcheng", "相城区", 905_000,
          "元和街道 太平街道 黄桥街道 北桥街道 澄阳街道 渭塘镇 阳澄湖镇 黄埭镇 望亭镇",
          (31.3690, 120.6420), 2.5),
    _area("wujiang", "吴江区", 1_565_000,
          "松陵街道 江陵街道 横扇街道 八坼街道 同里镇 平望镇 盛泽镇 七都镇 震泽镇 桃源镇 黎里镇",
          (31.1380, 120.6450), 9.0),
    _area("sip", "工业园区", 1_150_000,
          "娄葑街道 斜塘街道 唯亭街道 胜浦街道 金鸡湖街道",
          (31.3160, 120.6720), 2.5),
    _area("changshu", "常熟市", 1_695_000,
          "虞山街道 常福街道 琴川街道 莫城街道 碧溪街道 东南街道 梅李镇 海虞镇 古里镇 沙家浜镇 "
          "支塘镇 董浜镇 辛庄镇 尚湖镇",
          (31.6540, 120.7520), 9.0),
    _area("zhangjiagang", "张家港市", 1_450_000,
          "杨舍镇 塘桥镇 金港街道 锦丰镇 乐余镇 凤凰镇 南丰镇 大新镇",
          (31.8750, 120.5560), 9.0),
    _area("kunshan", "昆山市", 2_120_000,
          "玉山镇 巴城镇 周市镇 陆家镇 花桥镇 淀山湖镇 张浦镇 周庄镇 千灯镇 锦溪镇",
          (31.3850, 120.9810), 9.0),
    _area("taicang", "太仓市", 845_000,
          "城厢镇 沙溪镇 浏河镇 浮桥镇 璜泾镇 双凤镇 娄东街道 陆渡街道",
          (31.4570, 121.1300), 8.0),
)  # fmt: skip

SMALL_DISTRICTS = ("gusu", "sip", "wuzhong", "xiangcheng")


def areas(codes: tuple[str, ...] | None = None) -> tuple[Area, ...]:
    return SUZHOU if codes is None else tuple(a for a in SUZHOU if a.district.code in codes)


def short_town(town: str) -> str:
    """平江街道 → 平江, 木渎镇 → 木渎: how people name a place in conversation."""
    for suffix in ("街道", "镇"):
        if town.endswith(suffix) and len(town) > len(suffix) + 1:
            return town[: -len(suffix)]
    return town


def scatter(
    rng: random.Random, centre: tuple[float, float], radius_km: float
) -> tuple[float, float]:
    """A point uniformly inside the disc of `radius_km` around `centre`, rounded to ~0.1 m."""
    distance = radius_km * math.sqrt(rng.random())
    bearing = rng.uniform(0.0, 2 * math.pi)
    lat = centre[0] + distance * math.cos(bearing) / 111.32
    lng = centre[1] + distance * math.sin(bearing) / (111.32 * math.cos(math.radians(centre[0])))
    return round(lat, 6), round(lng, 6)
