"""Institutions: the public directory, 备案 registration by a regulator, and the admin's own view."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from litestar import Controller, Request, Response, get, post, put
from litestar.exceptions import NotFoundException, PermissionDeniedException, ValidationException
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from api_schema.common import CommandAccepted
from api_schema.institutions import (
    ChangeOpeningHours,
    District,
    InstitutionAdminView,
    InstitutionDetail,
    InstitutionPage,
    OpeningHours,
    RegisterInstitution,
)
from backend.api.commanding import run_command, runtime
from backend.api.paging import PageLimit, PageOffset
from backend.api.routes import views
from backend.auth.access import allow, public, staff_of_institution
from backend.auth.passwords import hash_password
from backend.auth.principal import Principal
from backend.services import institutions as service
from domain.account.aggregate import Role
from domain.errors import InvalidValue
from domain.institution.kinds import Category, Ownership, StaffRole
from domain.institution.values import Location, OpeningInterval
from projections import cities, institution_queries

ADMIN = allow(
    Role.institution_admin,
    relation="an institution_admin of the institution in the path",
    check=staff_of_institution("institution_admin"),
)
STAFF = allow(
    Role.institution_admin,
    Role.caregiver,
    relation="staff of the institution in the path",
    check=staff_of_institution("institution_admin", "caregiver"),
)


def minutes(clock: str) -> int:
    hours, mins = clock.split(":")
    return int(hours) * 60 + int(mins)


def intervals(hours: list[OpeningHours]) -> tuple[OpeningInterval, ...]:
    return tuple(OpeningInterval(h.weekday, minutes(h.opens), minutes(h.closes)) for h in hours)


def checked_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:  # OSError: no such file name
        raise InvalidValue(f"unknown IANA time zone {name!r}", field="timezone") from error
    return name


def invite(spec: Any) -> service.StaffInvite:
    return service.StaffInvite(
        spec.phone, spec.display_name, hash_password(spec.password), StaffRole(spec.role)
    )


@get("/v1/districts", opt=public("the city's districts are public"), tags=["directory"])
async def districts(request: Request[Any, Any, Any]) -> list[District]:
    rows = await cities.list_districts(runtime(request).pool)
    return [District(**r) for r in rows]


class InstitutionsController(Controller):
    path = "/v1/institutions"
    tags = ["institutions"]

    @get("/", opt=public("the directory of filed institutions is public"))
    async def list_institutions(
        self,
        request: Request[Any, Any, Any],
        district: FromQuery[str | None] = None,
        category: FromQuery[Category | None] = None,
        puhui: FromQuery[bool | None] = None,
        lat: Annotated[float | None, Parameter(ge=-90, le=90)] = None,
        lng: Annotated[float | None, Parameter(ge=-180, le=180)] = None,
        radius_km: Annotated[float | None, Parameter(gt=0, le=100)] = None,
        limit: PageLimit = 50,
        offset: PageOffset = 0,
    ) -> InstitutionPage:
        if (lat is None) != (lng is None):
            missing = "lng" if lng is None else "lat"
            raise ValidationException(
                detail=f"{missing}: lat and lng are given together",
                extra=[{"key": missing, "message": "lat and lng are given together"}],
            )
        if radius_km is not None and lat is None:
            raise ValidationException(
                detail="radius_km: needs lat and lng",
                extra=[{"key": "radius_km", "message": "radius_km needs lat and lng"}],
            )
        rows, total = await institution_queries.list_institutions(
            runtime(request).pool,
            district_code=district,
            category=category.value if category else None,
            puhui=puhui,
            near=(lat, lng) if lat is not None and lng is not None else None,
            radius_km=radius_km,
            limit=limit,
            offset=offset,
        )
        return InstitutionPage([views.summary(r) for r in rows], total, limit, offset)

    @get("/{institution_id:uuid}", opt=public("an institution's filing is public"))
    async def institution(
        self, request: Request[Any, Any, Any], institution_id: FromPath[UUID]
    ) -> InstitutionDetail:
        row = await institution_queries.get_institution(runtime(request).pool, institution_id)
        if row is None:
            raise NotFoundException(f"institution {institution_id} not found")
        return views.detail(row)

    @post(
        "/",
        opt=allow(
            Role.regulator,
            relation="a regulator of the institution's city and district (checked on the body)",
        ),
    )
    async def register(
        self, request: Request[Principal, Any, Any], data: JSONBody[RegisterInstitution]
    ) -> Response[CommandAccepted]:
        principal = request.user
        if principal.city_id is None or (
            principal.district_code is not None and principal.district_code != data.district_code
        ):
            raise PermissionDeniedException("only a regulator of this district may file it")
        rt = runtime(request)
        filing = service.Filing(
            name=data.name,
            district_code=data.district_code,
            town=data.town,
            location=Location(data.address, data.lat, data.lng),
            category=Category(data.category),
            ownership=Ownership(data.ownership),
            puhui=data.puhui,
            filed_places=data.filed_places,
            timezone=checked_timezone(data.timezone),
            opening_hours=intervals(data.opening_hours),
        )
        admin = invite(data.admin)
        if admin.role is not StaffRole.institution_admin:
            raise InvalidValue(
                "the first staff member is the institution_admin", field="admin.role"
            )
        institution_id = rt.ids.new()
        city_id = principal.city_id
        return await run_command(
            request,
            lambda uow, ctx: service.register_institution(
                uow,
                ctx.now,
                institution_id=institution_id,
                city_id=city_id,
                filing=filing,
                admin=admin,
            ),  # fmt: skip
            created=True,
        )

    @get("/{institution_id:uuid}/admin", opt=ADMIN)
    async def admin_view(
        self, request: Request[Principal, Any, Any], institution_id: FromPath[UUID]
    ) -> InstitutionAdminView:
        pool = runtime(request).pool
        row = await institution_queries.get_institution(pool, institution_id)
        if row is None:
            raise NotFoundException(f"institution {institution_id} not found")
        staff = await institution_queries.list_staff(pool, institution_id)
        return InstitutionAdminView(
            detail=views.detail(row),
            staff=[views.staff_member(s) for s in staff],
            unassigned_places=row["filed_places"] - int(row["room_places"]),
        )

    @put("/{institution_id:uuid}/opening-hours", opt=ADMIN)
    async def change_hours(
        self,
        request: Request[Principal, Any, Any],
        institution_id: FromPath[UUID],
        data: JSONBody[ChangeOpeningHours],
    ) -> Response[CommandAccepted]:
        hours = intervals(data.opening_hours)
        return await run_command(
            request,
            lambda uow, ctx: service.change_opening_hours(
                uow, ctx.now, institution_id, hours, request.user.account_id
            ),
        )
