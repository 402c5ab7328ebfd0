"""Signing in: one-time codes, passwords, JWT rules, and refresh tokens that rotate and detect reuse."""

from __future__ import annotations

import asyncio
import time
from uuid import uuid4

import jwt
import pytest

from backend.settings import DEV_JWT_SECRET
from tests.api.world import PASSWORD, World, new_phone


async def test_a_guardian_signs_in_with_a_one_time_code_and_gets_an_account(world: World):
    guardian = await world.guardian()
    me = await world.client.get("/v1/me", headers=guardian.headers)
    assert me.status_code == 200
    assert me.json()["role"] == "guardian"
    assert me.json()["display_name"] == "李妈妈"


async def test_a_code_works_once(world: World):
    phone = new_phone("136")
    await world.client.post("/v1/auth/otp/request", json={"phone": phone})
    code = world.runtime.sms.codes[phone]  # type: ignore[attr-defined]
    first = await world.client.post("/v1/auth/otp/verify", json={"phone": phone, "code": code})
    again = await world.client.post("/v1/auth/otp/verify", json={"phone": phone, "code": code})
    assert first.status_code == 200
    assert again.status_code == 401
    assert again.json()["type"] == "/problems/otp-expired"


async def test_wrong_codes_lock_the_code_after_five_attempts(world: World):
    phone = new_phone("136")
    await world.client.post("/v1/auth/otp/request", json={"phone": phone})
    code = world.runtime.sms.codes[phone]  # type: ignore[attr-defined]
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        response = await world.client.post(
            "/v1/auth/otp/verify", json={"phone": phone, "code": wrong}
        )
        assert response.json()["type"] == "/problems/otp-wrong"
    locked = await world.client.post("/v1/auth/otp/verify", json={"phone": phone, "code": code})
    assert locked.status_code == 401
    assert locked.json()["type"] == "/problems/otp-locked"


async def test_codes_cannot_be_requested_again_within_thirty_seconds(world: World):
    phone = new_phone("136")
    assert (
        await world.client.post("/v1/auth/otp/request", json={"phone": phone})
    ).status_code == 202
    again = await world.client.post("/v1/auth/otp/request", json={"phone": phone})
    assert again.status_code == 429


async def test_a_malformed_phone_is_refused_naming_the_field(world: World):
    response = await world.client.post("/v1/auth/otp/request", json={"phone": "12345678901"})
    assert response.status_code == 422
    assert response.json()["field"] == "phone"


async def test_a_wrong_password_is_a_401_problem_that_does_not_say_which_part_was_wrong(
    world: World,
):
    regulator = await world.regulator()
    wrong = await world.client.post(
        "/v1/auth/password", json={"phone": regulator.phone, "password": "nope"}
    )
    unknown = await world.client.post(
        "/v1/auth/password", json={"phone": "13999999999", "password": PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_a_guardian_cannot_sign_in_by_password(world: World):
    guardian = await world.guardian()
    response = await world.client.post(
        "/v1/auth/password", json={"phone": guardian.phone, "password": PASSWORD}
    )
    assert response.status_code == 401


async def _pair(world: World) -> dict[str, str]:
    regulator = await world.regulator()
    response = await world.client.post(
        "/v1/auth/password", json={"phone": regulator.phone, "password": PASSWORD}
    )
    return dict(response.json())


async def test_a_refresh_token_rotates_and_the_new_access_token_works(world: World):
    pair = await _pair(world)
    response = await world.client.post(
        "/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert response.status_code == 200
    rotated = response.json()
    assert rotated["refresh_token"] != pair["refresh_token"]
    me = await world.client.get(
        "/v1/me", headers={"Authorization": f"Bearer {rotated['access_token']}"}
    )
    assert me.status_code == 200


async def test_reusing_a_spent_refresh_token_revokes_the_whole_family(world: World):
    pair = await _pair(world)
    first = await world.client.post(
        "/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    successor = first.json()["refresh_token"]
    replay = await world.client.post(
        "/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert replay.status_code == 401
    assert replay.json()["type"] == "/problems/refresh-token-reused"
    after = await world.client.post("/v1/auth/refresh", json={"refresh_token": successor})
    assert after.status_code == 401  # the thief's and the owner's successor are both dead


async def test_logout_revokes_the_refresh_token(world: World):
    pair = await _pair(world)
    await world.client.post("/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})
    response = await world.client.post(
        "/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert response.status_code == 401


def _token(**overrides: object) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": str(uuid4()),
        "iss": "tuoyu",
        "aud": "tuoyu-app",
        "iat": now,
        "exp": now + 600,
        "jti": uuid4().hex,
        "role": "regulator",
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, DEV_JWT_SECRET, algorithm="HS256")


async def test_access_tokens_missing_a_required_claim_or_for_another_audience_are_refused(
    world: World,
):
    regulator = await world.regulator()
    good = _token(sub=str(regulator.account_id))
    assert (
        await world.client.get("/v1/me", headers={"Authorization": f"Bearer {good}"})
    ).status_code == 200
    for bad in (
        _token(sub=str(regulator.account_id), jti=None),
        _token(iss=None),
        _token(aud="someone-else"),
        _token(iss="forged"),
        _token(exp=int(time.time()) - 120),
        _token(role="superuser"),
    ):
        response = await world.client.get("/v1/me", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, bad


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # an attacker's HS512
async def test_a_token_signed_with_another_algorithm_or_key_is_refused(world: World):
    now = int(time.time())
    claims = {"sub": str(uuid4()), "iss": "tuoyu", "aud": "tuoyu-app", "iat": now,
              "exp": now + 600, "jti": "x", "role": "regulator"}  # fmt: skip
    unsigned = jwt.encode(claims, None, algorithm="none")
    other_key = jwt.encode(claims, "another-secret-another-secret-1234", algorithm="HS256")
    hs512 = jwt.encode(claims, DEV_JWT_SECRET, algorithm="HS512")
    for token in (unsigned, other_key, hs512):
        response = await world.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


async def test_a_token_expired_within_the_clock_leeway_is_still_accepted(world: World):
    regulator = await world.regulator()
    token = _token(sub=str(regulator.account_id), exp=int(time.time()) - 10)
    response = await world.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


async def test_a_route_without_a_token_is_a_401_problem(world: World):
    response = await world.client.get("/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_remembered_token_is_refused_once_it_expires(world: World):
    regulator = await world.regulator()
    expiry = int(time.time()) - 29  # still inside the 30 s leeway, for about a second
    headers = {"Authorization": f"Bearer {_token(sub=str(regulator.account_id), exp=expiry)}"}
    assert (await world.client.get("/v1/me", headers=headers)).status_code == 200
    await asyncio.sleep(max(0.0, expiry + 30.2 - time.time()))
    assert (await world.client.get("/v1/me", headers=headers)).status_code == 401
