"""What kind of institution it is: category, ownership, and whether it is 普惠 (affordable)."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    center = "center"  # type: ignore[assignment]  # 托育中心; the name shadows str.center
    kindergarten_class = "kindergarten_class"  # 托幼一体化 (托班 in a kindergarten)
    community_point = "community_point"  # 社区托育点
    home_based = "home_based"  # 家庭托育点
    employer = "employer"  # 用人单位办托


CATEGORY_CHINESE = {
    Category.center: "托育中心",
    Category.kindergarten_class: "托幼一体化",
    Category.community_point: "社区托育点",
    Category.home_based: "家庭托育点",
    Category.employer: "用人单位办托",
}


class Ownership(StrEnum):
    public = "public"  # 公办
    private = "private"  # 民办


class StaffRole(StrEnum):
    caregiver = "caregiver"
    institution_admin = "institution_admin"
