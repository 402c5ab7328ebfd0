"""Sign-in shapes: one-time codes for guardians, passwords for staff, rotating refresh tokens."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec

Phone = Annotated[
    str,
    msgspec.Meta(
        min_length=11, max_length=20, description="mainland mobile number", examples=["13800000001"]
    ),
]


class OtpRequest(msgspec.Struct, frozen=True):
    phone: Phone


class OtpSent(msgspec.Struct, frozen=True):
    phone: str
    expires_in_seconds: int


class OtpVerify(msgspec.Struct, frozen=True):
    phone: Phone
    code: Annotated[str, msgspec.Meta(pattern=r"^\d{6}$", examples=["246810"])]
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=40)] | None = None


class PasswordLogin(msgspec.Struct, frozen=True):
    phone: Phone
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class RefreshRequest(msgspec.Struct, frozen=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=20, max_length=200)]


class TokenPair(msgspec.Struct, frozen=True):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    account_id: UUID
    role: str


class Me(msgspec.Struct, frozen=True):
    account_id: UUID
    role: str
    display_name: str
    phone: str
    city_id: UUID | None = None
    district_code: str | None = None
    institutions: dict[str, str] = {}
