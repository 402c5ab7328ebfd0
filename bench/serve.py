"""Server process of the HTTP benchmarks: the real app, or the plain-INSERT anchor, under uvicorn.

    python -m bench.serve tuoyu|plain PORT

Run by bench/servers.py, never by hand. DATABASE_URL and TUOYU_* come from the environment,
so the app opens its runtime at startup exactly as `tuoyu serve` does (create_app(settings),
uvicorn through backend/http_server.py, log_config=None, structured logs, uvicorn.access
silenced).

Diagnostic switches (never set for a measured window):
  BENCH_TRACE=1      wall-time breakdown of the booking path and cProfile on demand, behind
                     /__bench/* routes (bench/server_trace.py)
  BENCH_PROJECTOR=0  the app without its projector tasks (read models stay behind)
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import msgspec
from litestar import Litestar, Request, get, post, put

from api_schema.attendance import CheckInRequest, CheckOutRequest, LiveOccupancy
from api_schema.booking import NewBooking
from backend.http_server import serve
from backend.logs import configure_logging

PLAIN_TABLE = "bench_hot_plain"
PLAIN_ATTENDANCE_TABLE = "bench_attendance_plain"  # made by bench/attendance.py


class PlainAccepted(msgspec.Struct):
    id: str
    status: str


def plain_app() -> Litestar:
    """One POST endpoint that validates the same body as /v1/bookings and does one INSERT; and
    the attendance anchors (below)."""
    dsn = os.environ["DATABASE_URL"]
    pool_size = int(os.environ.get("TUOYU_POOL_SIZE", "20"))
    state: dict[str, Any] = {}

    async def open_pool(app: Litestar) -> None:
        state["pool"] = await asyncpg.create_pool(dsn, min_size=2, max_size=pool_size)

    async def close_pool(app: Litestar) -> None:
        await state["pool"].close()

    @post("/v1/bookings", status_code=201)
    async def book(request: Request[Any, Any, Any], data: NewBooking) -> PlainAccepted:
        booking_id = uuid4()
        await state["pool"].execute(
            f"INSERT INTO {PLAIN_TABLE} (id, child_id, room_id, day, start_min, end_min)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            booking_id, data.child_id, data.room_id, data.date,
            _minutes(data.start), _minutes(data.end),
        )  # fmt: skip
        return PlainAccepted(str(booking_id), "confirmed")

    @get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "live"}

    return Litestar(
        route_handlers=[book, live, *_attendance_routes(state)], on_startup=[open_pool],
        on_shutdown=[close_pool], debug=False, logging_config=None, openapi_config=None,
    )  # fmt: skip


def _attendance_routes(state: dict[str, Any]) -> list[Any]:
    """The attendance benchmark's anchors: check-in and check-out validating the same bodies as
    the app and doing one INSERT each, and live occupancy answered with a constant Struct (the
    bench PUTs a sample of the app's own answer first, so both encode the same size)."""
    insert = (
        f"INSERT INTO {PLAIN_ATTENDANCE_TABLE} (id, kind, child_id, place_id, at)"
        " VALUES ($1, $2, $3, $4, $5)"
    )
    state["live"] = LiveOccupancy(uuid4(), "08:00", 0, 0, 0, [], 0)

    @post("/v1/attendance/check-ins", status_code=201)
    async def check_in(data: CheckInRequest) -> PlainAccepted:
        row_id = uuid4()
        await state["pool"].execute(insert, row_id, "in", data.child_id, data.room_id, data.at)
        return PlainAccepted(str(row_id), "checked_in")

    @post("/v1/attendance/check-outs", status_code=201)
    async def check_out(data: CheckOutRequest) -> PlainAccepted:
        row_id = uuid4()
        await state["pool"].execute(
            insert, row_id, "out", data.child_id, data.institution_id, data.at
        )
        return PlainAccepted(str(row_id), "checked_out")

    @get("/v1/institutions/{institution_id:uuid}/occupancy/live")
    async def occupancy_live(institution_id: UUID) -> LiveOccupancy:
        live: LiveOccupancy = state["live"]
        return live

    @put("/__bench/live", status_code=204)
    async def set_live(data: LiveOccupancy) -> None:
        state["live"] = data

    return [check_in, check_out, occupancy_live, set_live]


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def tuoyu_app() -> Any:
    from backend.api.app import create_app
    from backend.settings import Settings

    if os.environ.get("BENCH_PROJECTOR") == "0":
        from backend.projector import Projector

        async def schema_only(self: Projector, listen_dsn: str | None = None) -> None:
            await self.ensure_schema()

        Projector.start = schema_only  # type: ignore[method-assign]
    return create_app(Settings())


def main(kind: str, port: int) -> None:
    if os.environ.get("BENCH_LAGTRACE"):
        from bench.lag_trace import install as install_lag_trace

        install_lag_trace()
    app: Any = tuoyu_app() if kind == "tuoyu" else plain_app()
    if os.environ.get("BENCH_TRACE") == "1":
        from bench.server_trace import install

        app = install(app)
    serve(app, "127.0.0.1", port)  # as `tuoyu serve` runs it, whichever app it is


if __name__ == "__main__":
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    configure_logging(os.environ.get("TUOYU_LOG_FORMAT", "json"))
    main(sys.argv[1], int(sys.argv[2]))
