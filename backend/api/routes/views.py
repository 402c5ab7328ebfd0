"""Read-model rows to response Structs, with Chinese names kept beside the identifiers."""

from __future__ import annotations

from typing import Any

import msgspec

from api_schema.institutions import (
    InstitutionDetail,
    InstitutionSummary,
    OpeningHours,
    RoomView,
    StaffMember,
)
from domain.class_types import ClassType, chinese_name
from domain.institution.kinds import CATEGORY_CHINESE, Category
from domain.institution.values import hhmm


def summary(row: dict[str, Any]) -> InstitutionSummary:
    distance = row.get("distance_km")
    return InstitutionSummary(
        id=row["id"],
        name=row["name"],
        district_code=row["district_code"],
        town=row["town"],
        address=row["address"],
        lat=row["lat"],
        lng=row["lng"],
        category=row["category"],
        category_zh=CATEGORY_CHINESE[Category(row["category"])],
        ownership=row["ownership"],
        puhui=row["puhui"],
        filed_places=row["filed_places"],
        room_places=int(row["room_places"]),
        room_count=int(row["room_count"]),
        timezone=row["timezone"],
        distance_km=round(distance, 3) if distance is not None else None,
    )


def detail(row: dict[str, Any]) -> InstitutionDetail:
    hours = msgspec.json.decode(row["opening_hours"])
    return InstitutionDetail(
        summary=summary(row),
        opening_hours=[
            OpeningHours(h["weekday"], hhmm(h["opens"]), hhmm(h["closes"])) for h in hours
        ],
        rooms=[
            RoomView(
                id=r["id"],
                name=r["name"],
                class_type=r["class_type"],
                class_type_zh=chinese_name(ClassType(r["class_type"])),
                capacity=r["capacity"],
                children_per_carer=r["children_per_carer"],
            )
            for r in row["rooms"]
        ],
    )


def staff_member(row: dict[str, Any]) -> StaffMember:
    return StaffMember(row["account_id"], row["role"], row["display_name"], row["phone"])
