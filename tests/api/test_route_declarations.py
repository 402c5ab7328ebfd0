"""Deny by default: every route declares who may call it, and the exported schema matches the app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar, get

from backend.api.app import create_app
from backend.api.problems import EXCEPTION_HANDLERS
from backend.api.schema_export import openapi_document
from backend.auth.access import Access, AccessMiddleware
from backend.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _handlers(app: Litestar) -> list[Any]:
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if route.path.startswith("/schema") or handler.http_methods == {"OPTIONS"}:
                continue
            found.append((route.path, handler))
    return found


def test_every_route_declares_its_roles_and_the_relationship_it_checks():
    undeclared = []
    for path, handler in _handlers(create_app(Settings())):
        access = handler.opt.get("access")
        if not isinstance(access, Access) or not access.relation:
            undeclared.append(f"{sorted(handler.http_methods)} {path}")
        elif not access.public and not access.roles:
            undeclared.append(f"{sorted(handler.http_methods)} {path} (no roles)")
    assert undeclared == []


def test_public_routes_are_only_the_directory_city_rules_health_sign_in_and_consent_notices():
    public = sorted(
        path for path, handler in _handlers(create_app(Settings())) if handler.opt["access"].public
    )
    assert all(
        p.startswith(("/health", "/v1/auth", "/v1/institutions", "/v1/districts", "/v1/consents"))
        or p == "/v1/cities/{city_id:uuid}/class-rules"
        for p in public
    )
    assert "/v1/institutions/{institution_id:uuid}/admin" not in public


async def test_a_route_without_a_declaration_is_refused_to_everyone():
    @get("/undeclared", opt={"exclude_from_auth": True})
    async def undeclared() -> str:
        return "should never be seen"

    app = Litestar(
        [undeclared], middleware=[AccessMiddleware()], exception_handlers=EXCEPTION_HANDLERS
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/undeclared")
    assert response.status_code == 403
    assert "declares no access rule" in response.json()["detail"]


async def test_an_unexpected_error_is_a_500_problem_without_a_trace():
    @get("/boom", opt={"access": Access(frozenset(), "test", public=True)})
    async def boom() -> str:
        raise RuntimeError("secret internals: password=hunter2")

    app = Litestar([boom], middleware=[AccessMiddleware()], exception_handlers=EXCEPTION_HANDLERS)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "/problems/internal"
    assert "hunter2" not in response.text and "Traceback" not in response.text


def test_the_exported_openapi_document_matches_the_app():
    exported = json.loads((ROOT / "api_schema" / "openapi.json").read_text("utf-8"))
    assert exported == openapi_document(), "run `tuoyu openapi export` and commit the result"


def test_the_openapi_document_carries_examples_and_the_bearer_scheme():
    document = openapi_document()
    text = json.dumps(document, ensure_ascii=False)
    assert '"examples"' in text
    assert "BearerToken" in json.dumps(document["components"]["securitySchemes"])
