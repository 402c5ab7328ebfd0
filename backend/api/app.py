"""The Litestar app: JWT auth, deny-by-default guard, problem+json errors, OpenAPI at /schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.security.jwt import JWTAuth, Token

from backend.api.problems import EXCEPTION_HANDLERS
from backend.api.routes.attendance import AttendanceController, StaffClockController
from backend.api.routes.attendance_audit import attendance_audit
from backend.api.routes.attendance_register import (
    attendance_register,
    attendance_register_csv,
)
from backend.api.routes.auth import AuthController, me
from backend.api.routes.booking_terms import BookingTermsController
from backend.api.routes.bookings import BookingsController, institution_bookings
from backend.api.routes.child_care import ChildCareController
from backend.api.routes.children import ChildrenController, consent_notices
from backend.api.routes.city_rules import class_rules, set_class_rules
from backend.api.routes.enrolments import EnrolmentsController, institution_enrolments
from backend.api.routes.family_changes import FamilyChangesController
from backend.api.routes.health import live, ready
from backend.api.routes.institutions import InstitutionsController, districts
from backend.api.routes.live_occupancy import occupancy_live, occupancy_stream
from backend.api.routes.notifications import my_notifications
from backend.api.routes.occupancy_and_availability import find_availability, room_occupancy
from backend.api.routes.register_corrections import correct_register
from backend.api.routes.rooms_and_staff import RoomsController, StaffController
from backend.api.routes.waitlist import WaitlistController
from backend.api.strict_input import check_input
from backend.auth.access import AccessMiddleware
from backend.auth.principal import Principal
from backend.auth.tokens import ALGORITHM, REQUIRED_CLAIMS, LeewayToken
from backend.runtime import close_runtime, open_runtime, resolve_database_url
from backend.scheduler import start_ticker
from backend.server_gc import collect_young_regularly, settle_collections
from backend.settings import Settings
from backend.state import Runtime
from domain.account.aggregate import Role

ROUTES: list[Any] = [
    live,
    ready,
    AuthController,
    me,
    districts,
    class_rules,
    set_class_rules,
    InstitutionsController,
    RoomsController,
    StaffController,
    BookingTermsController,
    ChildrenController,
    consent_notices,
    BookingsController,
    institution_bookings,
    room_occupancy,
    find_availability,
    my_notifications,
    WaitlistController,
    EnrolmentsController,
    institution_enrolments,
    ChildCareController,
    FamilyChangesController,
    AttendanceController,
    StaffClockController,
    occupancy_live,
    occupancy_stream,
    attendance_register,
    attendance_register_csv,
    correct_register,
    attendance_audit,
]


async def principal_from_token(
    token: Token, _connection: ASGIConnection[Any, Any, Any, Any]
) -> Principal | None:
    """The caller the verified token names; kept on the token, which the verified-token cache
    (backend/auth/tokens.py) hands back for each request of its 15 minutes."""
    known: Principal | None = token.__dict__.get("_principal")
    if known is not None:
        return known
    try:
        role = Role(token.extras.get("role", ""))
        city = token.extras.get("city")
        principal = Principal(
            account_id=UUID(token.sub),
            role=role,
            city_id=UUID(city) if city else None,
            district_code=token.extras.get("district"),
        )
    except ValueError:
        return None
    token.__dict__["_principal"] = principal
    return principal


def jwt_auth(settings: Settings) -> JWTAuth[Principal, Token]:
    token_cls = type(
        "ConfiguredToken", (LeewayToken,), {"leeway_seconds": settings.clock_leeway_seconds}
    )
    return JWTAuth[Principal, Token](
        retrieve_user_handler=principal_from_token,
        token_secret=settings.jwt_secret,
        algorithm=ALGORITHM,
        accepted_audiences=[settings.jwt_audience],
        accepted_issuers=[settings.jwt_issuer],
        require_claims=list(REQUIRED_CLAIMS),
        token_cls=token_cls,
        exclude=["/schema"],
        exclude_opt_key="exclude_from_auth",
    )


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Litestar:
    """The app; with `runtime` given (tests, CLI) it is used as is, else opened at startup."""
    settings = settings or (runtime.settings if runtime else Settings())

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if runtime is not None:
            app.state.runtime = runtime
            yield
            return
        opened = await open_runtime(settings, await resolve_database_url(settings))
        app.state.runtime = opened
        ticker = start_ticker(opened, settings.tick_seconds) if settings.tick_seconds > 0 else None
        settle_collections()
        stop_collecting = collect_young_regularly()
        try:
            yield
        finally:
            stop_collecting()
            if ticker is not None:
                ticker.shutdown(wait=False)
            await close_runtime(opened)

    auth = jwt_auth(settings)
    return Litestar(
        route_handlers=ROUTES,
        middleware=[AccessMiddleware()],  # inside the sign-in middleware on_app_init adds
        before_request=check_input,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        on_app_init=[auth.on_app_init],
        openapi_config=OpenAPIConfig(
            title="Tuoyu 托育 API",
            version="0.1.0",
            description=(
                "Childcare for children aged 0–3: directory, booking, attendance, statistics. "
                "Commands take an Idempotency-Key; errors are RFC 9457 problem+json."
            ),
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
            create_examples=False,  # examples come from the Structs: generated ones vary per run
        ),
        debug=False,
        logging_config=None,  # our structured JSON logs (backend/logs.py) stay in charge
    )
