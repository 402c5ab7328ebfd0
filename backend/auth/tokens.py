"""Access tokens (JWT, HS256 pinned, ≤ 15 min, iss/aud/exp/iat/jti required) and refresh tokens.

Refresh tokens are random strings stored hashed on the server. Each use spends the token
and issues the next one in the same family; presenting a spent token again means it was
stolen or replayed, so the whole family is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import jwt
from litestar.exceptions import ImproperlyConfiguredException
from litestar.security.jwt import Token

from backend.settings import Settings

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "jti", "sub")
VERIFIED_TOKENS_KEPT = 20_000
_VERIFIED: dict[tuple[Any, ...], Any] = {}  # see LeewayToken.decode


def _hashable(value: Any) -> Any:
    if isinstance(value, list | tuple | set):
        return tuple(value)
    return value


class LeewayToken(Token):
    """Litestar's Token, decoded with a small clock leeway for phones whose clocks drift."""

    leeway_seconds = 30

    def __post_init__(self) -> None:
        # PyJWT has checked exp and iat with the leeway already; Litestar's own check has none.
        if not self.sub:
            raise ImproperlyConfiguredException("sub must be a non-empty string")
        for name in ("exp", "iat"):
            value = getattr(self, name)
            if not isinstance(value, datetime):
                raise ImproperlyConfiguredException(f"{name} must be a datetime")
            if value.tzinfo is None:
                setattr(self, name, value.replace(tzinfo=UTC))

    @classmethod
    def decode(  # type: ignore[override]
        cls,
        encoded_token: str,
        secret: str,
        algorithm: str,
        audience: Any = None,
        issuer: Any = None,
        require_claims: Any = None,
        verify_exp: bool = True,
        verify_nbf: bool = True,
        strict_audience: bool = False,
    ) -> Any:
        """Verify once, then remember the verified token until it expires: a phone sends the
        same token with every request for up to 15 minutes, and verifying it again (base64,
        HMAC, claims, conversion) costs more than the rest of a cached read."""
        key = (
            cls, encoded_token, secret, algorithm, _hashable(audience), _hashable(issuer),
            _hashable(require_claims), verify_exp, verify_nbf, strict_audience,
        )  # fmt: skip
        token = _VERIFIED.get(key)
        if token is not None and time.time() < token.exp.timestamp() + cls.leeway_seconds:
            return token
        token = super().decode(
            encoded_token, secret, algorithm, audience, issuer, require_claims, verify_exp,
            verify_nbf, strict_audience,
        )  # fmt: skip
        if len(_VERIFIED) >= VERIFIED_TOKENS_KEPT:
            _VERIFIED.clear()
        _VERIFIED[key] = token
        return token

    @classmethod
    def decode_payload(
        cls,
        encoded_token: str,
        secret: str,
        algorithms: list[str],
        issuer: Any = None,
        audience: Any = None,
        options: Any = None,
    ) -> Any:
        return jwt.decode(
            jwt=encoded_token,
            key=secret,
            algorithms=algorithms,
            issuer=issuer,
            audience=audience,
            options=options,
            leeway=cls.leeway_seconds,
        )


def issue_access_token(
    settings: Settings, now: datetime, account_id: UUID, claims: dict[str, Any]
) -> str:
    payload = {
        "sub": str(account_id),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=settings.access_ttl_seconds)).timestamp()),
        "jti": uuid4().hex,
        **claims,
    }
    return jwt.encode(payload, settings.jwt_secret, algorithm=ALGORITHM)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class RefreshTokenReused(Exception):
    """A spent refresh token came back: its family has been revoked."""


class RefreshTokenInvalid(Exception):
    """Unknown, expired or revoked refresh token."""


@dataclass(frozen=True)
class Rotated:
    account_id: UUID
    refresh_token: str


async def _insert_token(
    conn: Any, settings: Settings, now: datetime, account_id: UUID, family: UUID
) -> str:
    token = secrets.token_urlsafe(32)
    await conn.execute(
        "INSERT INTO refresh_tokens (token_hash, family_id, account_id, issued_at, expires_at)"
        " VALUES ($1, $2, $3, $4, $5)",
        _digest(token),
        family,
        account_id,
        now,
        now + timedelta(seconds=settings.refresh_ttl_seconds),
    )
    return token


async def issue_refresh_token(
    pool: asyncpg.Pool, settings: Settings, now: datetime, account_id: UUID
) -> str:
    """The first refresh token of a new family (one family per sign-in)."""
    return await _insert_token(pool, settings, now, account_id, uuid4())


async def rotate_refresh_token(
    pool: asyncpg.Pool, settings: Settings, now: datetime, token: str
) -> Rotated:
    """Spend `token` and issue its successor; a second use of a spent token revokes the family."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT family_id, account_id, expires_at, spent_at, revoked_at FROM refresh_tokens"
            " WHERE token_hash = $1 FOR UPDATE",
            _digest(token),
        )
        if row is None or row["revoked_at"] is not None or row["expires_at"] <= now:
            raise RefreshTokenInvalid("refresh token is not valid")
        reused = row["spent_at"] is not None
        if reused:  # revoke the whole family, committed before the refusal below
            await conn.execute(
                "UPDATE refresh_tokens SET revoked_at = $2"
                " WHERE family_id = $1 AND revoked_at IS NULL",
                row["family_id"],
                now,
            )
        else:
            await conn.execute(
                "UPDATE refresh_tokens SET spent_at = $2 WHERE token_hash = $1", _digest(token), now
            )
            successor = await _insert_token(
                conn, settings, now, row["account_id"], row["family_id"]
            )
    if reused:
        raise RefreshTokenReused("refresh token was already used; all sessions of it revoked")
    return Rotated(row["account_id"], successor)


async def revoke_refresh_family(pool: asyncpg.Pool, now: datetime, token: str) -> None:
    await pool.execute(
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE revoked_at IS NULL AND family_id ="
        " (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)",
        _digest(token),
        now,
    )
