"""A small world for API tests: a city with two districts, regulators, institutions, signed-in callers."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx

from api_schema.common import CommandAccepted
from backend.auth.passwords import hash_password
from backend.commands import CommandContext, execute
from backend.services import cities
from backend.state import Runtime
from domain.city.aggregate import District

PASSWORD = "correct horse battery"
_PASSWORD_HASH = hash_password(PASSWORD)
_phones = itertools.count(1)


def new_phone(prefix: str = "135") -> str:
    return f"{prefix}{next(_phones):08d}"


class CapturingSms:
    """Stands in for the SMS gateway: remembers the last code sent to each phone."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}

    async def send_code(self, phone: str, code: str) -> None:
        self.codes[phone] = code


@dataclass
class Caller:
    account_id: UUID
    headers: dict[str, str]
    phone: str


def idem() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def institution_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "平江托育中心",
        "district_code": "gusu",
        "town": "平江街道",
        "address": "姑苏区平江路 100 号",
        "lat": 31.3195,
        "lng": 120.6290,
        "category": "center",
        "ownership": "private",
        "puhui": True,
        "filed_places": 40,
        "opening_hours": [{"weekday": d, "opens": "08:00", "closes": "17:30"} for d in range(1, 6)],
        "admin": {
            "phone": new_phone("138"),
            "display_name": "王园长",
            "password": PASSWORD,
            "role": "institution_admin",
        },
    }
    body.update(overrides)
    return body


@dataclass
class World:
    runtime: Runtime
    client: httpx.AsyncClient
    city_id: UUID = field(default_factory=uuid.uuid4)
    last_position: int = 0

    async def run(self, decide: Any) -> CommandAccepted:
        ctx = CommandContext(now=self.runtime.clock.now(), actor="system:test")
        outcome = await execute(
            self.runtime.store, ctx, lambda uow: decide(uow, ctx), CommandAccepted
        )
        self.last_position = max(self.last_position, outcome.position or 0)
        return outcome.value

    async def seed_city(self) -> None:
        districts = [
            District("gusu", "姑苏区", 950_000, ("平江街道", "双塔街道")),
            District("wuzhong", "吴中区", 1_390_000, ("长桥街道", "木渎镇")),
        ]
        await self.run(
            lambda uow, ctx: cities.register_city(
                uow,
                ctx.now,
                city_id=self.city_id,
                code="suzhou",
                name="苏州",
                timezone="Asia/Shanghai",
                districts=districts,
            )  # fmt: skip
        )

    async def post(
        self, path: str, body: dict[str, Any], who: Caller, key: str | None = None
    ) -> Any:
        """A command as `who`, with a new Idempotency-Key (or `key`), reading its own writes."""
        headers = {**self.fresh(who.headers), **({"Idempotency-Key": key} if key else idem())}
        return self.saw(await self.client.post(path, json=body, headers=headers))

    def fresh(self, headers: dict[str, str] | None = None) -> dict[str, str]:
        """Headers that ask reads to reflect every write made so far (X-Min-Position)."""
        return {**(headers or {}), "X-Min-Position": str(self.last_position)}

    def saw(self, response: Any) -> Any:
        position = response.headers.get("x-position")
        if position:
            self.last_position = max(self.last_position, int(position))
        return response

    async def login(self, phone: str) -> Caller:
        response = await self.client.post(
            "/v1/auth/password", json={"phone": phone, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return Caller(
            UUID(body["account_id"]), {"Authorization": f"Bearer {body['access_token']}"}, phone
        )

    async def regulator(self, district_code: str | None = None) -> Caller:
        phone = new_phone("139")
        await self.run(
            lambda uow, ctx: cities.register_regulator(
                uow,
                ctx.now,
                phone=phone,
                display_name="卫健委",
                password_hash=_PASSWORD_HASH,
                city_id=self.city_id,
                district_code=district_code,
            )  # fmt: skip
        )
        return await self.login(phone)

    async def guardian(self, phone: str | None = None) -> Caller:
        """A guardian signed in by SMS code: a new account, or the one `phone` already has (a
        co-guardian a parent added by phone)."""
        named = {"display_name": "李妈妈"} if phone is None else {}
        phone = phone or new_phone("136")
        await self.client.post("/v1/auth/otp/request", json={"phone": phone})
        code = self.runtime.sms.codes[phone]  # type: ignore[attr-defined]
        response = await self.client.post(
            "/v1/auth/otp/verify", json={"phone": phone, "code": code, **named}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return Caller(
            UUID(body["account_id"]), {"Authorization": f"Bearer {body['access_token']}"}, phone
        )

    async def institution(
        self, regulator: Caller | None = None, **overrides: Any
    ) -> tuple[UUID, Caller]:
        """Register an institution through the API; return its id and its signed-in admin."""
        regulator = regulator or await self.regulator()
        body = institution_body(**overrides)
        response = self.saw(
            await self.client.post(
                "/v1/institutions", json=body, headers={**regulator.headers, **idem()}
            )
        )
        assert response.status_code == 201, response.text
        admin = await self.login(body["admin"]["phone"])
        return UUID(response.json()["id"]), admin

    async def add_room(self, institution_id: UUID, admin: Caller, **spec: Any) -> Any:
        body = {"name": "向日葵班", "class_type": "toddler", "capacity": 12, **spec}
        return self.saw(
            await self.client.post(
                f"/v1/institutions/{institution_id}/rooms",
                json=body,
                headers={**self.fresh(admin.headers), **idem()},
            )
        )
