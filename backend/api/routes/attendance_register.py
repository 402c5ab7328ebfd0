"""The attendance register of a room and day (who, in, out, by whom, check results), as JSON or
CSV for the regulator. Staff see names; the district's regulator sees pseudonyms and no free
text (regulators see aggregates, not names) and every regulator read is logged."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from typing import Any
from uuid import UUID

from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery

from api_schema.attendance import RegisterRow
from backend.api.commanding import runtime
from backend.auth.access import allow
from backend.auth.data_access import log_child_read
from backend.auth.principal import Principal
from backend.state import Runtime
from domain.account.aggregate import Role
from domain.institution.values import local_hhmm
from projections import attendance_queries
from projections.attendance_texts import IDENTITY_CHINESE, RELATION_CHINESE

CSV_HEADER = (
    "幼儿", "入园时间", "入园登记人", "入园方式", "体温(℃)", "晨检", "晨检观察", "备注", "超额说明",
    "离园时间", "离园登记人", "接送人", "核验方式", "更正人", "更正原因",
)  # fmt: skip


async def _staff_or_regulator_of_room(principal: Principal, connection: Any, rt: Runtime) -> bool:
    row = await rt.pool.fetchrow(
        "SELECT i.city_id, i.district_code, s.role FROM rm_rooms r"
        " JOIN rm_institutions i ON i.id = r.institution_id"
        " LEFT JOIN rm_institution_staff s ON s.institution_id = i.id AND s.account_id = $2"
        " WHERE r.id = $1",
        connection.path_params.get("room_id"),
        principal.account_id,
    )
    if row is None:
        return False
    if principal.role is Role.regulator:
        return principal.city_id == row["city_id"] and principal.district_code in (
            None, row["district_code"],
        )  # fmt: skip
    return row["role"] is not None


REGISTER_READERS = allow(
    Role.institution_admin, Role.caregiver, Role.regulator,
    relation="staff of the room's institution, or a regulator of its city and district"
    " (who sees pseudonyms)",
    check=_staff_or_regulator_of_room,
)  # fmt: skip


ERASED = "（已删除）"  # the child's data was erased at its guardian's request; the visit stays


def _pseudonym(child_id: UUID) -> str:
    return "幼儿-" + hashlib.sha256(child_id.bytes).hexdigest()[:8]


def _words(text: str | None, named: bool) -> str | None:
    """Free text staff wrote (a note, a reason), which may name the child: a regulator, who
    sees pseudonyms, gets "" where there were words, so an override or a correction still
    shows as one."""
    return text if named or text is None else ""


async def _rows(
    request: Request[Principal, Any, Any], room_id: UUID, day: date
) -> list[RegisterRow]:
    rt = runtime(request)
    named = request.user.role is not Role.regulator
    rows = await attendance_queries.register(rt.pool, room_id, day)
    now = rt.clock.now()
    for child_id in dict.fromkeys(r["child_id"] for r in rows):
        await log_child_read(rt.pool, child_id, request.user, "attendance register", now)
    out = []
    for r in rows:
        zone = r["timezone"]
        out.append(RegisterRow(
            child=(r["child_name"] or ERASED) if named else _pseudonym(r["child_id"]),
            checked_in=local_hhmm(r["in_at"], zone) if r["status"] == "checked_in" else None,
            checked_in_by=r["in_by_name"], method=r["method"],
            temperature_c=r["temperature_c"], morning_check=r["morning_check"],
            observations=r["observations"] if named else "", note=r["note"] if named else "", override_reason=_words(r["override_reason"], named),
            checked_out=local_hhmm(r["out_at"], zone) if r["out_at"] else None,
            checked_out_by=r["out_by_name"],
            collector=(f"{r['collector']}（{RELATION_CHINESE.get(r['relation'], r['relation'])}）"
                       if r["collector"] and named else r["relation"]),
            identity_check=IDENTITY_CHINESE.get(r["identity_check"] or "", r["identity_check"]),
            corrected_by=r["corrected_by_name"],
            correction_reason=_words(r["correction_reason"], named),
        ))  # fmt: skip
    return out


@get("/v1/rooms/{room_id:uuid}/attendance", tags=["attendance"], opt=REGISTER_READERS)
async def attendance_register(
    request: Request[Principal, Any, Any], room_id: FromPath[UUID], date: FromQuery[date]
) -> list[RegisterRow]:
    """The room's register for a day, in order of arrival (children turned away included)."""
    return await _rows(request, room_id, date)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """A cell a spreadsheet program shows as text: one that would start a formula (a name
    typed by a family as `=HYPERLINK(…)`) gets a leading apostrophe (OWASP's CSV injection
    advice); the regulator's program then shows the apostrophe, not a link it would follow."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


@get(
    "/v1/rooms/{room_id:uuid}/attendance.csv",
    tags=["attendance"],
    opt=REGISTER_READERS,
    media_type="text/csv",
)
async def attendance_register_csv(
    request: Request[Principal, Any, Any], room_id: FromPath[UUID], date: FromQuery[date]
) -> Response[str]:
    """The same register as CSV (UTF-8 with BOM, so spreadsheet programs show the Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for row in await _rows(request, room_id, date):
        writer.writerow([spreadsheet_safe(cell) for cell in (
            row.child, row.checked_in or "", row.checked_in_by or "", row.method or "",
            "" if row.temperature_c is None else f"{row.temperature_c:.1f}", row.morning_check,
            row.observations, row.note, row.override_reason or "", row.checked_out or "", row.checked_out_by or "",
            row.collector or "", row.identity_check or "", row.corrected_by or "",
            row.correction_reason or "",
        )])  # fmt: skip
    filename = f"attendance-{room_id}-{date.isoformat()}.csv"
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
