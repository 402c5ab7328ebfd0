"""Sign-in: one-time codes for guardians, passwords for staff and regulators, token refresh."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.params import JSONBody

from api_schema.auth import (
    Me,
    OtpRequest,
    OtpSent,
    OtpVerify,
    PasswordLogin,
    RefreshRequest,
    TokenPair,
)
from api_schema.common import CommandAccepted
from backend.api.commanding import runtime
from backend.auth import otp
from backend.auth.access import allow, public
from backend.auth.passwords import verify_password
from backend.auth.principal import Principal
from backend.auth.tokens import (
    issue_access_token,
    issue_refresh_token,
    revoke_refresh_family,
    rotate_refresh_token,
)
from backend.commands import CommandContext, execute
from backend.services.institutions import accepted
from backend.state import Runtime
from backend.unit_of_work import load_aggregate
from domain.account.aggregate import Account, Role, account_id_for, normalise_phone


def _claims(account: Account) -> dict[str, Any]:
    claims: dict[str, Any] = {"role": account.role.value}
    if account.city_id is not None:
        claims["city"] = str(account.city_id)
    if account.district_code is not None:
        claims["district"] = account.district_code
    return claims


async def _tokens(rt: Runtime, now: datetime, account: Account) -> TokenPair:
    access = issue_access_token(rt.settings, now, account.id, _claims(account))
    refresh = await issue_refresh_token(rt.pool, rt.settings, now, account.id)
    return TokenPair(
        access, refresh, "Bearer", rt.settings.access_ttl_seconds, account.id, account.role
    )


async def _guardian_account(rt: Runtime, now: datetime, phone: str, name: str | None) -> Account:
    """The account for this phone, opened as a guardian's on first sign-in."""

    async def decide(uow: Any) -> CommandAccepted:
        existing = await uow.find(Account, account_id_for(phone))
        if existing is not None:
            return accepted(existing)
        account = Account.register(phone, name or f"家长{phone[-4:]}", Role.guardian, now)
        uow.add(account)
        return accepted(account)

    ctx = CommandContext(now=now, actor=f"guardian:{account_id_for(phone)}")
    await execute(rt.store, ctx, decide, CommandAccepted)
    account = await load_aggregate(rt.store, account_id_for(phone))
    assert isinstance(account, Account)
    return account


class AuthController(Controller):
    path = "/v1/auth"
    tags = ["auth"]

    @post("/otp/request", opt=public("anyone may ask for a sign-in code"), status_code=202)
    async def request_code(
        self, request: Request[Any, Any, Any], data: JSONBody[OtpRequest]
    ) -> OtpSent:
        rt = runtime(request)
        phone = normalise_phone(data.phone)
        await otp.send_code(rt.pool, rt.sms, rt.settings, rt.clock.now(), phone)
        return OtpSent(phone, rt.settings.otp_ttl_seconds)

    @post("/otp/verify", opt=public("holder of a valid sign-in code"), status_code=200)
    async def verify_code(
        self, request: Request[Any, Any, Any], data: JSONBody[OtpVerify]
    ) -> TokenPair:
        rt = runtime(request)
        now = rt.clock.now()
        phone = normalise_phone(data.phone)
        await otp.check_code(rt.pool, rt.settings, now, phone, data.code)
        account = await _guardian_account(rt, now, phone, data.display_name)
        if account.role is not Role.guardian:
            raise NotAuthorizedException("staff and regulators sign in with their password")
        return await _tokens(rt, now, account)

    @post("/password", opt=public("holder of the account's password"), status_code=200)
    async def password(
        self, request: Request[Any, Any, Any], data: JSONBody[PasswordLogin]
    ) -> TokenPair:
        rt = runtime(request)
        phone = normalise_phone(data.phone)
        account = await load_aggregate(rt.store, account_id_for(phone))
        hash_ = account.password_hash if isinstance(account, Account) else None
        if not verify_password(hash_, data.password) or not isinstance(account, Account):
            raise NotAuthorizedException("phone or password is wrong")
        return await _tokens(rt, rt.clock.now(), account)

    @post("/refresh", opt=public("holder of an unspent refresh token"), status_code=200)
    async def refresh(
        self, request: Request[Any, Any, Any], data: JSONBody[RefreshRequest]
    ) -> TokenPair:
        rt = runtime(request)
        now = rt.clock.now()
        rotated = await rotate_refresh_token(rt.pool, rt.settings, now, data.refresh_token)
        account = await load_aggregate(rt.store, rotated.account_id)
        assert isinstance(account, Account)
        access = issue_access_token(rt.settings, now, account.id, _claims(account))
        return TokenPair(
            access, rotated.refresh_token, "Bearer", rt.settings.access_ttl_seconds,
            account.id, account.role,
        )  # fmt: skip

    @post("/logout", opt=public("holder of the refresh token"), status_code=204)
    async def logout(self, request: Request[Any, Any, Any], data: JSONBody[RefreshRequest]) -> None:
        rt = runtime(request)
        await revoke_refresh_family(rt.pool, rt.clock.now(), data.refresh_token)


@get(
    "/v1/me",
    tags=["auth"],
    opt=allow(*Role, relation="the signed-in account itself"),
)
async def me(request: Request[Principal, Any, Any]) -> Me:
    rt = runtime(request)
    account = await load_aggregate(rt.store, request.user.account_id)
    if not isinstance(account, Account):
        raise NotAuthorizedException("account no longer exists")
    return Me(
        account_id=account.id,
        role=account.role.value,
        display_name=account.display_name,
        phone=account.phone,
        city_id=account.city_id,
        district_code=account.district_code,
        institutions={str(k): v.value for k, v in account.memberships.items()},
    )
