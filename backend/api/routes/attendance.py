"""Drop-off, pick-up, the day's care and staff clock-in, from a caregiver's phone or a room tablet.

Every command carries the device's time (`at`) and its client command id as the
`Idempotency-Key`, so a tablet replaying its queue after an outage records each fact once, at
its real time. Who may call: caregivers and admins; the institution's staff list is checked on
the institution aggregate inside the command (the room or institution in the body is not trusted).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, post
from litestar.params import JSONBody

from api_schema.attendance import (
    CareLogRequest,
    CheckInAccepted,
    CheckInRequest,
    CheckOutAccepted,
    CheckOutRequest,
    ClockRequest,
    HealthCheckIn,
    RoomMoveAccepted,
    RoomMoveRequest,
)
from api_schema.common import CommandAccepted
from backend.api.commanding import TabletKeys, run_command, runtime
from backend.auth.access import allow
from backend.auth.principal import Principal
from backend.services import attendance as service
from backend.services import room_day_care, room_moves
from backend.state import Runtime
from domain.account.aggregate import Role
from domain.attendance.care_log import CareEntry, CareKind
from domain.attendance.day import attendance_day_id
from domain.attendance.health import AbnormalOutcome, HealthCheck
from domain.attendance.values import CheckInMethod, IdentityCheck
from domain.errors import NotFound

STAFF_OF_ROOM = allow(
    Role.caregiver, Role.institution_admin,
    relation="staff of the room's institution (checked on the institution aggregate)",
)  # fmt: skip
STAFF_OF_INSTITUTION = allow(
    Role.caregiver, Role.institution_admin,
    relation="staff of the institution in the body (checked on the institution aggregate)",
)  # fmt: skip

STAFF_OF_ROOMS = allow(
    Role.caregiver, Role.institution_admin,
    relation="an admin of the institution in the body, or a caregiver clocked in to the"
    " child's room or the room it goes to (checked on the institution and the day)",
)  # fmt: skip


async def room_home(rt: Runtime, room_id: UUID) -> tuple[UUID, str]:
    """The room's institution and time zone (read model: routing only; the command re-checks).
    Kept in process once seen: a room never changes institution, nor an institution its zone."""
    known = rt.room_homes.get(room_id)
    if known is not None:
        return known
    row = await rt.pool.fetchrow(
        "SELECT r.institution_id, i.timezone FROM rm_rooms r"
        " JOIN rm_institutions i ON i.id = r.institution_id WHERE r.id = $1",
        room_id,
    )
    if row is None:
        raise NotFound(f"room {room_id} not found", field="room_id")
    home = rt.room_homes[room_id] = (row["institution_id"], row["timezone"])
    return home


async def institution_zone(rt: Runtime, institution_id: UUID) -> str:
    """The institution's time zone (routing only, as room_home), kept in process once seen."""
    zone = rt.institution_zones.get(institution_id)
    if zone is not None:
        return zone
    zone = await rt.pool.fetchval(
        "SELECT timezone FROM rm_institutions WHERE id = $1", institution_id
    )
    if zone is None:
        raise NotFound(f"institution {institution_id} not found", field="institution_id")
    rt.institution_zones[institution_id] = zone
    return zone


def day_lane(institution_id: UUID, at: datetime, zone: str) -> list[UUID]:
    """Commands on one attendance day queue behind each other in this process."""
    return [attendance_day_id(institution_id, service.local_moment(at, zone)[0])]


async def _about_a_present_child(
    request: Request[Principal, Any, Any], institution_id: UUID, child_id: UUID, at: datetime,
    result_type: Any, decide: Any,
) -> Response[Any]:  # fmt: skip
    """A pick-up or a room move: queued on the institution's attendance day of `at`, reading
    the day, the institution and the child; its key is the tablet's command id."""
    lane = day_lane(institution_id, at, await institution_zone(runtime(request), institution_id))
    return await run_command(
        request, decide, created=True, result_type=result_type, lane=lane,
        reads=[*lane, institution_id, child_id], key_scope=TabletKeys(institution_id),
    )  # fmt: skip


def health(check: HealthCheckIn) -> HealthCheck:
    return HealthCheck(
        check.temperature_c, check.touch_ok, check.look_ok, check.ask_ok, check.check_ok,
        check.observations,
    )  # fmt: skip


class AttendanceController(Controller):
    path = "/v1/attendance"
    tags = ["attendance"]

    @post("/check-ins", opt=STAFF_OF_ROOM)
    async def check_in(
        self, request: Request[Principal, Any, Any], data: JSONBody[CheckInRequest]
    ) -> Response[CheckInAccepted]:
        """Drop-off with the 晨检. An abnormal check needs `abnormal_outcome`; `refuse` records
        the child as turned away (201, status `turned_away`) and tells the guardian."""
        rt = runtime(request)
        institution_id, zone = await room_home(rt, data.room_id)
        day, _ = service.local_moment(data.at, zone)
        arrival = service.Arrival(
            institution_id=institution_id, room_id=data.room_id, child_id=data.child_id,
            at=data.at, by=request.user.account_id, method=CheckInMethod(data.method),
            code=data.code, health=health(data.health_check),
            outcome=AbnormalOutcome(data.abnormal_outcome) if data.abnormal_outcome else None,
            note=data.note.strip(), override_reason=_reason(data.override_reason),
            day_hint=day,
        )  # fmt: skip
        secret = rt.settings.jwt_secret
        return await run_command(
            request,
            lambda uow, ctx: service.check_in(uow, ctx.now, arrival, secret),
            created=True,
            result_type=CheckInAccepted,
            lane=[attendance_day_id(institution_id, day)],
            reads=service.arrival_reads(arrival),
            key_scope=TabletKeys(institution_id),
        )

    @post("/check-outs", opt=STAFF_OF_INSTITUTION)
    async def check_out(
        self, request: Request[Principal, Any, Any], data: JSONBody[CheckOutRequest]
    ) -> Response[CheckOutAccepted]:
        """Pick-up: only a guardian, a standing authorised adult or today's delegate; a person
        on the "must not collect" list is refused; the identity check is recorded. Judged on
        the arrangements at `at` (a tablet replays it late): see `CheckOutAccepted`."""
        rt = runtime(request)
        departure = service.Departure(
            institution_id=data.institution_id, child_id=data.child_id, at=data.at,
            by=request.user.account_id, collector_name=data.collector.name,
            collector_phone=data.collector.phone,
            identity_check=IdentityCheck(data.collector.identity_check), code=data.code,
        )  # fmt: skip
        secret = rt.settings.jwt_secret
        return await _about_a_present_child(
            request, data.institution_id, data.child_id, data.at, CheckOutAccepted,
            lambda uow, ctx: service.check_out(uow, ctx.now, departure, secret),
        )  # fmt: skip

    @post("/room-moves", opt=STAFF_OF_ROOMS)
    async def room_move(
        self, request: Request[Principal, Any, Any], data: JSONBody[RoomMoveRequest]
    ) -> Response[RoomMoveAccepted]:
        """转班: a child present in one room goes to another room of the institution. Nobody
        collects it and the guardian gets no pick-up notice; the new room must take the child
        (age, a booking or regular place, class size and ratio) unless an admin overrides."""
        move = room_moves.Move(
            institution_id=data.institution_id, child_id=data.child_id,
            to_room_id=data.to_room_id, at=data.at, by=request.user.account_id,
            override_reason=_reason(data.override_reason),
        )  # fmt: skip
        return await _about_a_present_child(
            request, data.institution_id, data.child_id, data.at, RoomMoveAccepted,
            lambda uow, ctx: room_moves.move_room(uow, ctx.now, move),
        )  # fmt: skip

    @post("/care-logs", opt=STAFF_OF_ROOM)
    async def care_log(
        self, request: Request[Principal, Any, Any], data: JSONBody[CareLogRequest]
    ) -> Response[CommandAccepted]:
        """午检, naps, meals, toileting, medication (against a guardian's authorisation),
        incidents (the guardian is told) and observations; no `child_ids` = all present. An
        entry replayed after a child it covers was erased is recorded without its note and
        observations; an observation or a dose about that child answers 410 `child-erased`."""
        rt = runtime(request)
        institution_id, zone = await room_home(rt, data.room_id)
        entry = CareEntry(
            entry_id=rt.ids.new(), kind=CareKind(data.kind), room_id=data.room_id,
            child_ids=tuple(dict.fromkeys(data.child_ids)), at=data.at,
            by=request.user.account_id, note=data.note.strip(), meal=data.meal,
            amount=data.amount, toileting=data.toileting, category=data.category,
            health=health(data.health_check) if data.health_check else None,
            authorisation_id=data.authorisation_id, dose=data.dose,
        )  # fmt: skip
        return await run_command(
            request,
            lambda uow, ctx: room_day_care.log_care(
                uow, ctx.now, institution_id=institution_id, entry=entry
            ),
            created=True,
            lane=day_lane(institution_id, data.at, zone),
            key_scope=TabletKeys(institution_id),
        )


def _reason(text: str | None) -> str | None:
    """An override reason, or None when absent or blank."""
    if text is None:
        return None
    return text.strip() or None


class StaffClockController(Controller):
    path = "/v1/staff"
    tags = ["attendance"]

    @post("/clock-ins", opt=STAFF_OF_ROOM)
    async def clock_in(
        self, request: Request[Principal, Any, Any], data: JSONBody[ClockRequest]
    ) -> Response[CommandAccepted]:
        """Clock in to a room; clocked into another room, this moves you (out there, in here).
        Only clocked-in staff count toward the room's ratio."""
        return await _clock(request, data, room_day_care.clock_in)

    @post("/clock-outs", opt=STAFF_OF_ROOM)
    async def clock_out(
        self, request: Request[Principal, Any, Any], data: JSONBody[ClockRequest]
    ) -> Response[CommandAccepted]:
        """Clock out of a room; leaving it out of ratio raises the room's alarm."""
        return await _clock(request, data, room_day_care.clock_out)


async def _clock(
    request: Request[Principal, Any, Any], data: ClockRequest, action: Any
) -> Response[CommandAccepted]:
    rt = runtime(request)
    institution_id, zone = await room_home(rt, data.room_id)
    by = request.user.account_id
    return await run_command(
        request,
        lambda uow, ctx: action(
            uow, ctx.now, institution_id=institution_id, room_id=data.room_id, by=by, at=data.at
        ),
        created=True,
        lane=day_lane(institution_id, data.at, zone),
        reads=[institution_id, by],  # the carer's own stream holds their shift (one at a time)
        key_scope=TabletKeys(institution_id),
    )
