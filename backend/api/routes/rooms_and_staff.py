"""Rooms (class type, size, ratio) and staff of one institution, managed by its admins."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, post, put
from litestar.params import FromPath, JSONBody

from api_schema.common import CommandAccepted
from api_schema.institutions import NewStaff, RoomSpec
from backend.api.commanding import run_command, runtime
from backend.api.routes.institutions import ADMIN, invite
from backend.auth.principal import Principal
from backend.services import institutions as service
from backend.services import staff_removal
from domain.class_types import ClassType


class RoomsController(Controller):
    path = "/v1/institutions/{institution_id:uuid}/rooms"
    tags = ["rooms"]

    @post("/", opt=ADMIN)
    async def add_room(
        self,
        request: Request[Principal, Any, Any],
        institution_id: FromPath[UUID],
        data: JSONBody[RoomSpec],
    ) -> Response[CommandAccepted]:
        room = service.RoomRequest(
            runtime(request).ids.new(),
            data.name,
            ClassType(data.class_type),
            data.capacity,
            data.children_per_carer,
        )
        by = request.user.account_id
        return await run_command(
            request,
            lambda uow, ctx: service.add_room(uow, ctx.now, institution_id, room, by),
            created=True,
        )

    @put("/{room_id:uuid}", opt=ADMIN)
    async def change_room(
        self,
        request: Request[Principal, Any, Any],
        institution_id: FromPath[UUID],
        room_id: FromPath[UUID],
        data: JSONBody[RoomSpec],
    ) -> Response[CommandAccepted]:
        room = service.RoomRequest(
            room_id, data.name, ClassType(data.class_type), data.capacity, data.children_per_carer
        )
        by = request.user.account_id
        return await run_command(
            request, lambda uow, ctx: service.change_room(uow, ctx.now, institution_id, room, by)
        )


class StaffController(Controller):
    path = "/v1/institutions/{institution_id:uuid}/staff"
    tags = ["staff"]

    @post("/", opt=ADMIN)
    async def add_staff(
        self,
        request: Request[Principal, Any, Any],
        institution_id: FromPath[UUID],
        data: JSONBody[NewStaff],
    ) -> Response[CommandAccepted]:
        new = invite(data)
        by = request.user.account_id
        return await run_command(
            request,
            lambda uow, ctx: service.add_staff(uow, ctx.now, institution_id, new, by),
            created=True,
        )

    @delete("/{account_id:uuid}", opt=ADMIN, status_code=200)
    async def remove_staff(
        self,
        request: Request[Principal, Any, Any],
        institution_id: FromPath[UUID],
        account_id: FromPath[UUID],
    ) -> Response[CommandAccepted]:
        by = request.user.account_id
        return await run_command(
            request,
            lambda uow, ctx: staff_removal.remove_staff(
                uow, ctx.now, institution_id, account_id, by
            ),
        )
