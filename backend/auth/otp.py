"""One-time sign-in codes for guardians: pluggable SMS sender, short expiry, limited attempts."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta
from typing import Protocol

import asyncpg

from backend.settings import Settings

log = logging.getLogger("tuoyu.sms")
RESEND_AFTER_SECONDS = 30


class SmsSender(Protocol):
    async def send_code(self, phone: str, code: str) -> None: ...


class LogSmsSender:
    """Development sender: writes the code to the log instead of sending an SMS."""

    async def send_code(self, phone: str, code: str) -> None:
        log.info("sign-in code for %s****%s is %s", phone[:3], phone[-4:], code)


class OtpRefused(Exception):
    def __init__(self, detail: str, code: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


def _digest(phone: str, code: str) -> bytes:
    return hashlib.sha256(f"{phone}:{code}".encode()).digest()


async def send_code(
    pool: asyncpg.Pool, sender: SmsSender, settings: Settings, now: datetime, phone: str
) -> None:
    last = await pool.fetchval("SELECT sent_at FROM login_codes WHERE phone = $1", phone)
    if last is not None and (now - last).total_seconds() < RESEND_AFTER_SECONDS:
        raise OtpRefused(f"a code was sent less than {RESEND_AFTER_SECONDS} s ago", "otp-too-soon")
    code = settings.demo_otp_code or f"{secrets.randbelow(1_000_000):06d}"
    await pool.execute(
        "INSERT INTO login_codes (phone, code_hash, expires_at, attempts, sent_at)"
        " VALUES ($1, $2, $3, 0, $4) ON CONFLICT (phone) DO UPDATE SET"
        " code_hash = excluded.code_hash, expires_at = excluded.expires_at, attempts = 0,"
        " sent_at = excluded.sent_at",
        phone,
        _digest(phone, code),
        now + timedelta(seconds=settings.otp_ttl_seconds),
        now,
    )
    await sender.send_code(phone, code)


async def check_code(
    pool: asyncpg.Pool, settings: Settings, now: datetime, phone: str, code: str
) -> None:
    """Accept the code once; wrong codes count against a small attempt budget."""
    wrong = False
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT code_hash, expires_at, attempts FROM login_codes WHERE phone = $1 FOR UPDATE",
            phone,
        )
        if row is None or row["expires_at"] <= now:
            raise OtpRefused("no valid code for this phone; request a new one", "otp-expired")
        if row["attempts"] >= settings.otp_max_attempts:
            raise OtpRefused("too many wrong codes; request a new one", "otp-locked")
        wrong = not hmac.compare_digest(row["code_hash"], _digest(phone, code))
        if wrong:  # counted, and committed, before the refusal below
            await conn.execute(
                "UPDATE login_codes SET attempts = attempts + 1 WHERE phone = $1", phone
            )
        else:
            await conn.execute("DELETE FROM login_codes WHERE phone = $1", phone)
    if wrong:
        raise OtpRefused("the code is wrong", "otp-wrong")
