"""Liveness and readiness: live = the process answers; ready = database reachable, read models caught up."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get

from backend.api.commanding import runtime
from backend.auth.access import public


class ProjectionLag(msgspec.Struct, frozen=True):
    name: str
    checkpoint: int
    events_behind: int
    seconds_behind: float


class Readiness(msgspec.Struct, frozen=True):
    ready: bool
    database: bool
    head_position: int
    projections: list[ProjectionLag]


@get("/health/live", opt=public("liveness probe"), tags=["health"])
async def live() -> dict[str, str]:
    return {"status": "live"}


@get("/health/ready", opt=public("readiness probe"), tags=["health"])
async def ready(request: Request[Any, Any, Any]) -> Response[Readiness]:
    rt = runtime(request)
    try:
        statuses = await rt.projector.status()
    except Exception:
        return Response(Readiness(False, False, 0, []), status_code=503)
    lags = [
        ProjectionLag(s.name, s.checkpoint, s.events_behind, s.seconds_behind) for s in statuses
    ]
    limit = rt.settings.ready_max_lag_events
    ok = all(s.events_behind <= limit for s in statuses)
    head = statuses[0].head if statuses else 0
    return Response(Readiness(ok, True, head, lags), status_code=200 if ok else 503)
