"""What a guardian consents to, purpose by purpose: what is collected, why, where it is kept,
for how long and what happens after (PIPL art. 17, 29, 31; ../shared/RULES.md). The notice a
guardian agreed to is recorded, by version, with the child's registration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.child.care import add_months

# A child's data is kept while in care and erased 36 months after its last care (a booking's
# end, a regular place's last day or a visit), or at once when a guardian withdraws consent.
RETENTION_MONTHS = 36


@dataclass(frozen=True)
class ConsentNotice:
    purpose: str
    version: str
    title: str
    collected: str
    used_for: str
    kept_where: str
    kept_for: str
    afterwards: str
    required: bool


CARE_BOOKING = ConsentNotice(
    purpose="care_booking",
    version="2026-11",
    title="托育预约与照护",
    collected="幼儿姓名、出生日期、性别；入托体检与复检记录；晨检、午检与照护记录；"
    "可接送人与当日代接人的姓名和电话；用药授权。",
    used_for="查找并预约托育服务、核对班级年龄与师幼比、入园晨检与离园接送核验、"
    "向监护人发送到园、离园与照护通知。仅预约或在托机构的工作人员可查看，每次查看均有记录，"
    "监护人可在应用中查看；监管部门只看到汇总数据和化名。",
    kept_where="中华人民共和国境内，本服务的数据库。姓名、出生日期、健康记录、接送人和用药信息"
    "以该幼儿专用的密钥加密保存。",
    kept_for=f"在托期间及最后一次托育服务（预约结束、固定托位最后一天或到园）后 {RETENTION_MONTHS} 个月；"
    "监护人撤回同意时立即删除。",
    afterwards="删除时销毁该幼儿的专用密钥：以其加密的信息（姓名、出生日期、健康记录、接送人和"
    "用药授权）在数据库、备份和副本中均无法再读取；应用中该幼儿的资料、通知和每日记录一并删除。"
    "机构的考勤登记保留到园记录以备监管查验，但不再显示姓名。",
    required=True,
)

NOTICES: dict[str, ConsentNotice] = {CARE_BOOKING.purpose: CARE_BOOKING}


def retention_cutoff(today: date) -> date:
    """Care that ended before this day is past retention."""
    return add_months(today, -RETENTION_MONTHS)
