"""Every route, swept: bad bodies, unknown ids, bad tokens, wrong roles and bad query values all
get a 4xx problem+json that names what was wrong, never a 5xx and never a quiet success."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, get_args

import asyncpg
import httpx
import jwt
import msgspec
import pytest

from backend.api.app import create_app
from backend.db.embedded import embedded_dsn
from backend.runtime import close_runtime, open_runtime
from backend.settings import Settings
from tests.api import booking_world as bw
from tests.api.attendance_world import caregiver_of
from tests.api.days import DAY, day
from tests.api.world import Caller, CapturingSms, World, idem

ROLES = ("institution_admin", "guardian", "caregiver", "regulator")  # the first allowed one calls


def case(*values: Any, id: str) -> Any:
    return pytest.param(*values, id=id)


@dataclass(frozen=True)
class Query:
    annotation: Any
    required: bool
    pattern: str | None
    bounds: dict[str, float]  # ge/gt/le/lt, from msgspec.Meta or Parameter()


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as declared: /v1/rooms/{room_id:uuid}/occupancy
    roles: tuple[str, ...]  # empty when public
    body: type[msgspec.Struct] | None
    body_annotation: Any  # `CancelBooking | None` where the body may be left out
    queries: dict[str, Query]

    def __str__(self) -> str:
        return self.method + " " + re.sub(r":\w+}", "}", self.path)

    @property
    def required_fields(self) -> set[str]:
        fields = msgspec.structs.fields(self.body) if self.body else ()
        return {f.encode_name for f in fields if f.required}


def _struct_of(annotation: Any) -> type[msgspec.Struct] | None:
    structs = [a for a in (annotation, *get_args(annotation)) if isinstance(a, type)]
    return next((a for a in structs if issubclass(a, msgspec.Struct)), None)


def _query(p: Any) -> Query:
    bounds: dict[str, float] = {}
    for source in (*(m for m in p.metadata if isinstance(m, msgspec.Meta)), p.kwarg_definition):
        bounds |= {k: v for k in ("ge", "gt", "le", "lt") if (v := getattr(source, k, None)) is not None}  # fmt: skip
    return Query(p.annotation, not p.has_default, getattr(p.kwarg_definition, "pattern", None), bounds)  # fmt: skip


def _routes() -> list[Route]:
    found = []
    for route in create_app(Settings()).routes:
        for handler in getattr(route, "route_handlers", []):
            if route.path.startswith("/schema") or handler.http_methods == {"OPTIONS"}:
                continue
            access, params = handler.opt["access"], handler.parsed_fn_signature.parameters
            body = params["data"].annotation if "data" in params else None
            queries = {
                name: _query(p) for name, p in params.items()
                if name not in {"request", "scope", "data", *route.path_parameters}
            }  # fmt: skip
            roles = tuple(r for r in ROLES if r in {x.value for x in access.roles})
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                found.append(Route(method, route.path, roles, _struct_of(body), body, queries))
    return found


ROUTES = _routes()


@dataclass
class Sweep:
    world: World
    callers: dict[str, Caller]
    ids: dict[str, str]
    query: dict[str, str]

    def url(self, route: Route, unknown: str | None = None, **query: str) -> str:
        path = re.sub(
            r"\{(\w+):\w+\}",
            lambda m: str(uuid.uuid4()) if m.group(1) == unknown else self.ids[m.group(1)],
            route.path,
        )
        needed = {n: self.query[n] for n, q in route.queries.items() if q.required}
        return str(httpx.URL(path, params={**needed, **query}))

    async def send(self, route: Route, url: str, role: str | None = None, **kw: Any) -> httpx.Response:  # fmt: skip
        role = role or (route.roles[0] if route.roles else None)
        who = self.callers[role].headers if role else {}
        headers = {**self.world.fresh(who), **idem(), **kw.pop("headers", {})}
        return await self.world.client.request(route.method, url, headers=headers, **kw)


@pytest.fixture(scope="module")
async def sweep(pg_server: Any, template_db: str) -> AsyncIterator[Sweep]:
    """One world for the whole sweep (no request here may change it): a city, an institution
    with a bookable room, its admin and caregiver, a regulator, a guardian whose child holds a
    booking and a regular place."""
    name, admin_conn = f"sweep_{os.getpid()}", await asyncpg.connect(embedded_dsn(pg_server))
    await admin_conn.execute(f"CREATE DATABASE {name} TEMPLATE {template_db}")
    url = embedded_dsn(pg_server, name)
    rt = await open_runtime(Settings(database_url=url), url)
    rt.sms = CapturingSms()
    app = create_app(runtime=rt)
    app.state.runtime = rt
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        world = World(rt, client)
        await world.seed_city()
        regulator = await world.regulator()
        institution_id, room_id, admin = await bw.bookable_room(
            world, offers=[bw.HOURLY, bw.FULL_DAY]
        )
        caregiver = await caregiver_of(world, institution_id, admin)
        guardian = await world.guardian()
        child = await bw.child_of(world, guardian)
        booked = await world.post("/v1/bookings", bw.booking_body(institution_id, room_id, child), guardian)  # fmt: skip
        enrolled = await world.post("/v1/enrolments", bw.enrolment(institution_id, room_id, child), guardian)  # fmt: skip
        assert booked.status_code == enrolled.status_code == 201, (booked.text, enrolled.text)
        ids = {
            "institution_id": str(institution_id), "room_id": str(room_id),
            "child_id": str(child), "booking_id": booked.json()["id"],
            "enrolment_id": enrolled.json()["id"], "account_id": str(caregiver.account_id),
            "entry_id": str(uuid.uuid4()), "day": DAY, "city_id": str(world.city_id),
            "authorisation_id": str(uuid.uuid4()),
        }  # fmt: skip
        query = {
            "date": DAY, "on": DAY, "lat": "31.3195", "lng": "120.6290", "start": "09:00",
            "end": "11:00", "child_id": str(child), "radius_km": "5", "since": DAY,
            "last_day": DAY,
        }  # fmt: skip
        callers = {"institution_admin": admin, "guardian": guardian, "caregiver": caregiver,
                   "regulator": regulator}  # fmt: skip
        yield Sweep(world, callers, ids, query)
    await close_runtime(rt)
    await admin_conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await admin_conn.close()


def assert_problem(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    problem: dict[str, Any] = response.json()
    assert problem["type"].startswith("/problems/"), problem
    return problem


def fields_named(problem: dict[str, Any]) -> set[str]:
    named = [problem.get("field")] + [e.get("field") for e in problem.get("errors") or []]
    return {re.split(r"[.\[]", f)[0] for f in named if isinstance(f, str)}


def assert_names_one_of(problem: dict[str, Any], names: set[str]) -> None:
    """The problem names the offending field: in `field`, in `errors[].field`, or its detail."""
    in_detail = any(re.search(rf"\b{re.escape(n)}\b", problem.get("detail", "")) for n in names)
    assert fields_named(problem) & names or in_detail, (sorted(names), problem)


# 1. Bad bodies, sent by a caller the route allows, on real ids -------------------------------


def _accepts(value: Any, annotation: Any) -> bool:
    try:
        msgspec.json.decode(msgspec.json.encode(value), type=annotation)
    except msgspec.ValidationError:
        return False
    return True


def wrong_value(annotation: Any) -> Any:
    """A value of the wrong JSON type: a list for a scalar or object, an object for a list."""
    is_list = _accepts([], annotation)
    return next(
        v for v in ([True], {"x": True}, "x", 1.5)
        if not _accepts(v, annotation) and not (is_list and isinstance(v, list))
    )  # fmt: skip


def bad_body(kind: str, struct: type[msgspec.Struct]) -> dict[str, Any]:
    if kind == "not JSON":
        return {"content": b"{this is not json", "headers": {"content-type": "application/json"}}
    if kind in ("a JSON array", "an empty object"):
        return {"json": [{"name": "x"}] if kind == "a JSON array" else {}}
    return {"json": {f.encode_name: wrong_value(f.type) for f in msgspec.structs.fields(struct)}}


BODY_ROUTES = [r for r in ROUTES if r.body is not None]
NEEDS_FIELDS = [r for r in BODY_ROUTES if not _accepts({}, r.body_annotation)]  # else {} runs
BODY_KINDS = ("not JSON", "a JSON array", "an empty object", "every field of the wrong type")
BODY_CASES = [
    case(r, k, id=f"{k}: {r}") for k in BODY_KINDS
    for r in (NEEDS_FIELDS if k == "an empty object" else BODY_ROUTES)
]  # fmt: skip


@pytest.mark.parametrize(("route", "kind"), BODY_CASES)
async def test_a_malformed_body_is_refused_with_a_problem_naming_the_field(
    sweep: Sweep, route: Route, kind: str
) -> None:
    assert route.body is not None
    response = await sweep.send(route, sweep.url(route), **bad_body(kind, route.body))
    problem = assert_problem(response, 400, 422)
    if kind == "an empty object":
        assert_names_one_of(problem, route.required_fields)
    if kind == "every field of the wrong type":
        assert_names_one_of(problem, {f.encode_name for f in msgspec.structs.fields(route.body)})


@pytest.mark.parametrize("route", [case(r, id=f"missing field in `field`: {r}") for r in NEEDS_FIELDS])  # fmt: skip
async def test_a_missing_field_is_named_in_the_problems_field_entry_a_form_can_point_at(
    sweep: Sweep, route: Route
) -> None:
    problem = assert_problem(await sweep.send(route, sweep.url(route), json={}), 400, 422)
    assert fields_named(problem) & route.required_fields, problem


async def test_a_field_missing_inside_an_object_is_named_under_that_objects_path(
    sweep: Sweep,
) -> None:
    route = next(r for r in ROUTES if str(r) == "POST /v1/attendance/check-ins")
    body = {
        "child_id": str(uuid.uuid4()), "room_id": str(uuid.uuid4()),
        "at": f"{DAY}T08:10:00+08:00", "method": "manual", "health_check": {},
    }  # fmt: skip
    problem = assert_problem(await sweep.send(route, sweep.url(route), json=body), 400, 422)
    assert problem["field"] == "health_check.temperature_c", problem


# 2. Unknown ids in the path ------------------------------------------------------------------

VALID_BODIES: dict[str, dict[str, Any]] = {  # bodies for routes that look the id up after parsing
    "RoomSpec": {"name": "向日葵班", "class_type": "toddler", "capacity": 12},
    "CareOffers": {"offers": [bw.HOURLY]},
    "Roster": {"shifts": [{"weekday": 1, "starts": "08:00", "ends": "17:30", "staff": 2}]},
    "EndEnrolment": {"last_day": day(14)},
    "CancelBooking": {"reason": "生病"},
    "SetClassRules": {"rules": []},
    "VisitCorrectionRequest": {
        "child_id": str(uuid.uuid4()), "room_id": str(uuid.uuid4()),
        "arrived_at": f"{DAY}T08:10:00+08:00", "reason": "按纸质签到表补录",
    },
}  # fmt: skip
UNKNOWN_CASES = [
    case(r, name, id=f"unknown {name}: {r}") for r in ROUTES
    for name in re.findall(r"\{(\w+):uuid\}", r.path)
]  # fmt: skip


@pytest.mark.parametrize(("route", "unknown"), UNKNOWN_CASES)
async def test_an_unknown_id_in_the_path_is_refused_or_not_found(
    sweep: Sweep, route: Route, unknown: str
) -> None:
    body = VALID_BODIES.get(route.body.__name__, {}) if route.body else None
    assert_problem(await sweep.send(route, sweep.url(route, unknown), json=body), 403, 404)


# 3. Signed-in routes without a valid token, or with a role the route does not admit ----------


def token(kind: str) -> str | None:
    settings, now = Settings(), int(time.time())
    claims = {
        "sub": str(uuid.uuid4()), "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
        "iat": now - 60, "exp": now + 600, "jti": uuid.uuid4().hex, "role": "institution_admin",
    }  # fmt: skip
    if kind == "expired":
        claims.update(iat=now - 7200, exp=now - 3600)
    if kind == "wrong audience":
        claims["aud"] = "someone-else"
    secret = "not-the-secret-" * 3 if kind == "wrong signature" else settings.jwt_secret
    fixed = {"no": None, "malformed": "not.a.jwt", "unsigned (alg none)": jwt.encode(claims, "", algorithm="none")}  # fmt: skip
    return fixed[kind] if kind in fixed else jwt.encode(claims, secret, algorithm="HS256")


TOKENS = ("no", "malformed", "expired", "wrong signature", "wrong audience", "unsigned (alg none)")
SIGNED_IN = [r for r in ROUTES if r.roles]


@pytest.mark.parametrize(("route", "kind"), [case(r, k, id=f"{k}: {r}") for r in SIGNED_IN for k in TOKENS])  # fmt: skip
async def test_a_signed_in_route_refuses_a_caller_without_a_valid_token(
    sweep: Sweep, route: Route, kind: str
) -> None:
    bearer = token(kind)
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    body: dict[str, Any] | None = {} if route.body else None
    response = await sweep.world.client.request(
        route.method, sweep.url(route), headers={**headers, **idem()}, json=body
    )
    assert_problem(response, 401)


WRONG_ROLE_CASES = [
    case(r, role, id=f"{role}: {r}") for r in SIGNED_IN
    for role in [x for x in ROLES if x not in r.roles][:1]
]  # fmt: skip


@pytest.mark.parametrize(("route", "role"), WRONG_ROLE_CASES)
async def test_a_signed_in_route_refuses_a_role_it_does_not_admit(
    sweep: Sweep, route: Route, role: str
) -> None:
    body: dict[str, Any] | None = {} if route.body else None
    assert_problem(await sweep.send(route, sweep.url(route), role, json=body), 403)


# 4. Query parameters of the wrong type or out of their declared bounds -----------------------


def bad_query_values(q: Query) -> list[str]:
    """Letters where the parameter wants a number, date, id, choice or pattern, and the first
    value past each declared bound."""
    past = {"ge": -1, "gt": 0, "le": 1, "lt": 0}
    values = ["abc"] if q.pattern is not None or not _accepts("abc", q.annotation) else []
    return values + [str(v + past[k]) for k, v in q.bounds.items()]


QUERY_CASES = [
    case(r, name, value, id=f"{name}={value}: {r}") for r in ROUTES
    for name, q in r.queries.items() for value in bad_query_values(q)
]  # fmt: skip


@pytest.mark.parametrize(("route", "name", "value"), QUERY_CASES)
async def test_a_bad_query_parameter_is_refused_naming_it(
    sweep: Sweep, route: Route, name: str, value: str
) -> None:
    response = await sweep.send(route, sweep.url(route, **{name: value}))
    assert_names_one_of(assert_problem(response, 400, 422), {name})
