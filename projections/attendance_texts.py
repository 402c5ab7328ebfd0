"""The words guardians and registers read for attendance events (Chinese, as users know them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.attendance.care_log import CARE_KIND_CHINESE, CareEntry, CareKind
from domain.attendance.corrections import VisitCorrection
from domain.attendance.day import AttendanceDay
from domain.attendance.health import HealthCheck
from domain.attendance.values import Collector
from domain.institution.values import local_hhmm

MEAL_CHINESE = {
    "breakfast": "早餐", "morning_snack": "上午点心", "lunch": "午餐",
    "afternoon_snack": "下午点心", "dinner": "晚餐",
}  # fmt: skip
AMOUNT_CHINESE = {"all": "全部吃完", "most": "吃了大部分", "half": "吃了一半",
                  "little": "吃得很少", "none": "没有吃"}  # fmt: skip
TOILETING_CHINESE = {"wet": "尿湿", "dirty": "大便", "potty": "自己如厕", "dry": "干爽"}
RELATION_CHINESE = {
    "guardian": "监护人",
    "authorised_adult": "授权接送人",
    "delegate": "当日代接人",
    "room_move": "转班",  # no one collected the child: it went to another room
}
IDENTITY_CHINESE = {
    "app_code": "App动态码", "id_card": "身份证", "known_in_person": "老师当面确认",
    "call_to_guardian": "电话联系监护人确认", "room_move": "转班，无需接送核验",
}  # fmt: skip
INCIDENT_CHINESE = {
    "fall": "摔倒", "bump": "磕碰", "bite": "咬伤", "scratch": "抓伤", "illness": "身体不适",
    "allergy": "过敏", "lost_item": "物品遗失", "suspected_abuse": "疑似虐待", "other": "其他",
}  # fmt: skip


def morning_check(check: HealthCheck) -> str:
    """The check's result, as the register's 晨检 column shows it (the carer's observations
    are a column of their own: staff's words, which a regulator does not see)."""
    if not check.abnormal():
        return f"正常，体温{check.temperature_c:.1f}℃"
    return "异常：" + "、".join(check.findings())


def check_with_observations(check: HealthCheck) -> str:
    """The result and what the carer saw, as the family and the child's day read it."""
    seen = check.observations.strip()
    return morning_check(check) + (f"（观察：{seen}）" if seen else "")


def collector_name(collector: Collector, picked_up_at: datetime, zone: str) -> str:
    """The name on file, the one the carer wrote at the door when they differ, and a block
    the guardians put on after the pick-up (a tablet sent it late; the child had left with
    them, so it stands as it happened, and whoever reads it learns of the block)."""
    written = collector.stated_name
    name = f"{collector.name}（登记：{written}）" if written else collector.name
    since = collector.blocked_since
    if since is None:
        return name
    when = local_hhmm(since, zone)
    local = since.astimezone(ZoneInfo(zone)).date()
    if local != picked_up_at.astimezone(ZoneInfo(zone)).date():
        when = f"{local.month}月{local.day}日{when}"
    return f"{name}（接走后于{when}被列入禁止接送名单）"


def check_in_texts(event: Any, zone: str) -> tuple[str, str]:
    """Title and detail of an arrival, a refusal at the door, or a pick-up."""
    if isinstance(event, AttendanceDay.ChildCheckedIn):
        detail = f"晨检{check_with_observations(event.health)}"
        if event.note:
            detail += f"；{event.note}"
        return "入园", detail
    if isinstance(event, AttendanceDay.ChildTurnedAway):
        detail = f"晨检{check_with_observations(event.health)}；{event.note}"
        return "晨检未通过，未入园", detail.rstrip("；")
    k = event.collector
    return "离园", (
        f"{local_hhmm(event.at, zone)}由{collector_name(k, event.at, zone)}（{RELATION_CHINESE.get(k.relation, k.relation)}）"
        f"接走，核验：{IDENTITY_CHINESE.get(k.identity_check.value, k.identity_check.value)}"
    )


def care_texts(entry: CareEntry) -> tuple[str, str, str]:
    """(kind, title, detail) of one care entry."""
    title = CARE_KIND_CHINESE[entry.kind]
    parts: list[str] = []
    if entry.kind is CareKind.meal and entry.meal:
        parts.append(MEAL_CHINESE[entry.meal])
        if entry.amount:
            parts.append(AMOUNT_CHINESE[entry.amount])
    elif entry.kind is CareKind.toileting and entry.toileting:
        parts.append(TOILETING_CHINESE[entry.toileting])
    elif entry.kind is CareKind.midday_check and entry.health is not None:
        parts.append(check_with_observations(entry.health))
    elif entry.kind is CareKind.medication:
        parts.append(f"{entry.medicine or ''} {entry.dose or ''}".strip())
    elif entry.kind is CareKind.incident and entry.category:
        parts.append(INCIDENT_CHINESE[entry.category])
    if entry.note:
        parts.append(entry.note)
    return entry.kind.value, title, "，".join(p for p in parts if p)


REASON_MARK = "；原因："  # what ends a correction's text, before its reason


def correction_text(c: VisitCorrection, zone: str) -> str:
    """What an admin's correction of the register says, in local time, with its reason."""
    stay = f"入园{local_hhmm(c.arrived, zone)}"
    if c.left is not None:
        stay += f"，离园{local_hhmm(c.left, zone)}"
    if c.replaces is None:
        return f"补录：{stay}{REASON_MARK}{c.reason}"
    return f"更正（原入园{local_hhmm(c.replaces, zone)}）：{stay}{REASON_MARK}{c.reason}"
