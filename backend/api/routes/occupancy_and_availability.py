"""Room-day occupancy by minute for staff, and the parents' "15-minute childcare circle" search."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery, Parameter

from api_schema.booking import (
    AvailableInstitution,
    AvailableRoom,
    CareType,
    OccupancySegment,
    RoomOccupancy,
)
from backend.api.commanding import runtime
from backend.api.routes.institutions import minutes
from backend.auth.access import allow
from backend.auth.principal import Principal
from backend.state import Runtime
from domain.account.aggregate import Role
from domain.booking.terms import CARE_TYPE_CHINESE, CareOffer, price_fen
from domain.class_types import ClassType, chinese_name
from domain.errors import InvalidValue
from domain.institution.values import hhmm
from projections import availability, booking_queries
from projections import bookings as bookings_model
from projections import children as children_model
from projections import enrolments as enrolments_model
from projections import institutions as institutions_model
from projections.room_catalogue import Institution, Room

# Chinese names by the identifiers a search returns (no enum made per room of a response).
_CLASS_TYPE_ZH = {c.value: chinese_name(c) for c in ClassType}
_CARE_TYPE_ZH = {c.value: zh for c, zh in CARE_TYPE_CHINESE.items()}


async def _staff_of_rooms_institution(principal: Principal, connection: Any, rt: Runtime) -> bool:
    room_id = connection.path_params.get("room_id")
    role = await rt.pool.fetchval(
        "SELECT s.role FROM rm_rooms r JOIN rm_institution_staff s"
        " ON s.institution_id = r.institution_id WHERE r.id = $1 AND s.account_id = $2",
        room_id,
        principal.account_id,
    )
    return role is not None


@get(
    "/v1/rooms/{room_id:uuid}/occupancy",
    tags=["occupancy"],
    opt=allow(
        Role.institution_admin,
        Role.caregiver,
        relation="staff of the institution the room belongs to",
        check=_staff_of_rooms_institution,
    ),  # fmt: skip
)
async def room_occupancy(
    request: Request[Principal, Any, Any], room_id: FromPath[UUID], date: FromQuery[date]
) -> RoomOccupancy:
    rt = runtime(request)
    result = await booking_queries.room_occupancy(rt.pool, room_id, date, rt.clock.now())
    if result is None:
        raise NotFoundException(f"room {room_id} not found")
    return RoomOccupancy(
        room_id=room_id,
        date=date,
        closed=result["closed"],
        segments=[
            OccupancySegment(
                hhmm(s["start_min"]),
                hhmm(s["end_min"]),
                s["booked"],
                s["enrolled"],
                s["capacity"],
                s["ratio_capacity"],
                s["held"],
            )  # fmt: skip
            for s in result["segments"]
        ],
    )


async def _child(rt: Runtime, child_id: UUID) -> dict[str, Any] | None:
    """The child's row with its guardians, kept in process while the children read model has
    not changed (a search per parent tap should not cost a query for the same child)."""
    stamp = rt.projector.changes(children_model.name)  # before the read: a change meanwhile
    known, child = rt.children_seen.get(child_id, stamp)  # makes the next search read again
    if known:
        return child
    child = await children_model.get_child(rt.pool, child_id)
    if child is not None:  # one registered in a moment is read again, not refused from here
        rt.children_seen.put(child_id, stamp, child)
    return child


async def _child_time(
    rt: Runtime, child_id: UUID, day: date
) -> tuple[booking_queries.Taken, booking_queries.UsedMinutes]:
    """The child's booked time around that day (real instants, ADR 0027), kept in process
    while the bookings, regular places and closures have not changed: a search otherwise reads
    no table (ADR 0010)."""
    changes = rt.projector.changes
    stamp = (changes(bookings_model.name), changes(enrolments_model.name),
             changes(institutions_model.name))  # fmt: skip  # before the read, as _child
    known, found = rt.child_times.get((child_id, day), stamp)
    if known and found is not None:
        return found
    found = await booking_queries.child_time(rt.pool, child_id, day)
    rt.child_times.put((child_id, day), stamp, found)
    return found


@get(
    "/v1/availability",
    tags=["bookings"],
    opt=allow(Role.guardian, relation="a guardian of the child named by child_id"),
)
async def find_availability(
    request: Request[Principal, Any, Any],
    lat: Annotated[float, Parameter(ge=-90, le=90)],
    lng: Annotated[float, Parameter(ge=-180, le=180)],
    date: FromQuery[date],
    start: Annotated[str, Parameter(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")],
    end: Annotated[str, Parameter(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")],
    child_id: FromQuery[UUID],
    radius_km: Annotated[float, Parameter(gt=0, le=50)] = 3.0,
    care_type: FromQuery[CareType | None] = None,
) -> list[AvailableInstitution]:
    rt = runtime(request)
    child = await _child(rt, child_id)
    if child is None or request.user.account_id not in child["guardians"]:
        raise PermissionDeniedException("only a guardian of this child")
    start_min, end_min = minutes(start), minutes(end)
    if end_min <= start_min:
        raise InvalidValue("the interval must end after it starts", field="end")
    taken, used = await _child_time(rt, child_id, date)  # as instants: zones differ
    return await availability.find_available(
        rt.pool, lat=lat, lng=lng, radius_km=radius_km, day=date, start_min=start_min,
        end_min=end_min, birth_date=child["birth_date"], care_type=care_type,
        now=rt.clock.now(),
        catalogue=(rt.room_catalogue, rt.projector.changes(institutions_model.name)),
        presence=rt.room_presence, show_room=_available_room,
        show_institution=_available_institution, used_minutes=used, taken=taken,
    )  # fmt: skip


def _available_room(room: Room, offer: CareOffer, minutes: int) -> AvailableRoom:
    """A room's offer as the answer shows it (made once per room and searched slot)."""
    return AvailableRoom(
        room_id=room.room_id, name=room.name, class_type=room.class_type,
        class_type_zh=_CLASS_TYPE_ZH[room.class_type], care_type=offer.care_type,
        care_type_zh=_CARE_TYPE_ZH[offer.care_type], price_fen=price_fen(offer, minutes),
    )  # fmt: skip


def _available_institution(
    i: Institution, distance: float, rooms: list[AvailableRoom]
) -> AvailableInstitution:
    return AvailableInstitution(
        institution_id=i.institution_id, name=i.name, address=i.address,
        distance_km=round(distance, 3), puhui=i.puhui, refund_policy=i.refund_policy_text,
        rooms=rooms,
    )  # fmt: skip
