"""The one way a route runs a command: Idempotency-Key required, context built, outcome answered."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, PermissionDeniedException

from api_schema.common import CommandAccepted
from backend.auth.access import staff_role
from backend.auth.principal import Principal
from backend.commands import CommandContext, execute
from backend.state import Runtime
from backend.unit_of_work import UnitOfWork

T = TypeVar("T", bound=msgspec.Struct)
IDEMPOTENCY_HEADER = "idempotency-key"


class IdempotencyKeyMissing(HTTPException):
    status_code = 428


def runtime(request: Request[Any, Any, Any]) -> Runtime:
    value: Runtime = request.app.state.runtime
    return value


async def command_context(
    request: Request[Any, Any, Any], principal: Principal | None, key_scope: str | None = None
) -> CommandContext:
    """`key_scope` names whose keys these are: the caller's own by default; a room tablet's
    queue is the institution's (whoever is signed in when it replays)."""
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not 8 <= len(key) <= 128:
        raise IdempotencyKeyMissing(
            detail="Idempotency-Key header (8–128 characters) is required on every command"
        )
    body = await request.body()
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode() + body).digest()
    who = key_scope or (principal.account_id.hex if principal else "anonymous")
    rt = runtime(request)
    return CommandContext(
        now=rt.clock.now(),
        actor=principal.actor if principal else None,
        command_key=f"{who}:{key}",
        request_hash=digest,
        correlation_id=_correlation_id(request) or rt.ids.new(),
    )


def _correlation_id(request: Request[Any, Any, Any]) -> UUID | None:
    """The caller's X-Request-ID when it is a UUID, so a client's retries share one id."""
    try:
        return UUID(request.headers.get("x-request-id", ""))
    except ValueError:
        return None


async def run_command(
    request: Request[Any, Any, Any],
    decide: Callable[[UnitOfWork, CommandContext], Awaitable[T]],
    *,
    created: bool = False,
    result_type: type[T] = CommandAccepted,  # type: ignore[assignment]
    lane: Iterable[UUID] = (),
    reads: Iterable[UUID] = (),
    key_scope: TabletKeys | None = None,
) -> Response[T]:
    """Run a command; its answer Struct carries `position` and `replayed`, filled in here."""
    user = request.scope.get("user")
    principal = user if isinstance(user, Principal) else None
    rt = runtime(request)
    ctx = await command_context(request, principal, key_scope.scope if key_scope else None)
    outcome = await execute(rt.store, ctx, lambda uow: decide(uow, ctx), result_type, lane, reads)
    if outcome.replayed and key_scope is not None and not await key_scope.may_replay(rt, principal):
        raise PermissionDeniedException("only staff of this institution")
    body = msgspec.structs.replace(
        outcome.value, position=outcome.position, replayed=outcome.replayed
    )
    headers = {"X-Position": str(outcome.position)} if outcome.position is not None else {}
    return Response(body, status_code=201 if created else 200, headers=headers)


@dataclass(frozen=True)
class TabletKeys:
    """The key scope of attendance commands: a shared room tablet's queue belongs to the
    institution, so a carer replaying what a colleague queued offline gets its first answers
    (the request hash still binds each key to its method, path and body). A first answer is
    given back only to staff of that institution: the key is looked up before the command's
    own staff check runs, and an outsider naming the room must not read a colleague's answer."""

    institution_id: UUID

    @property
    def scope(self) -> str:
        return f"institution:{self.institution_id.hex}"

    async def may_replay(self, rt: Runtime, principal: Principal | None) -> bool:
        if principal is None:
            return False
        return await staff_role(rt, self.institution_id, principal.account_id) is not None
