"""Settings from environment variables, each with a documented default (see docs/configuration.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from backend.eventstore.cache import DEFAULT_CACHE_ENTRIES

DEV_JWT_SECRET = "tuoyu-development-secret-change-me-0123456789abcdef"  # noqa: S105


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Settings:
    # Database: DATABASE_URL points at any PostgreSQL; unset, an embedded one runs under data_dir.
    database_url: str | None = field(default_factory=lambda: os.environ.get("DATABASE_URL"))
    data_dir: Path = field(default_factory=lambda: Path(_env("TUOYU_DATA_DIR", ".data")))
    pool_size: int = field(default_factory=lambda: int(_env("TUOYU_POOL_SIZE", "20")))
    # Committed aggregates kept in memory for the next command (backend/eventstore/cache.py).
    aggregate_cache_entries: int = field(
        default_factory=lambda: int(
            _env("TUOYU_AGGREGATE_CACHE_ENTRIES", str(DEFAULT_CACHE_ENTRIES))
        )
    )
    host: str = field(default_factory=lambda: _env("TUOYU_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(_env("TUOYU_PORT", "8000")))
    # Tokens: HS256 only; access tokens live 15 minutes at most.
    jwt_secret: str = field(default_factory=lambda: _env("TUOYU_JWT_SECRET", DEV_JWT_SECRET))
    jwt_issuer: str = field(default_factory=lambda: _env("TUOYU_JWT_ISSUER", "tuoyu"))
    jwt_audience: str = field(default_factory=lambda: _env("TUOYU_JWT_AUDIENCE", "tuoyu-app"))
    access_ttl_seconds: int = field(
        default_factory=lambda: min(int(_env("TUOYU_ACCESS_TTL_SECONDS", "900")), 900)
    )
    refresh_ttl_seconds: int = field(
        default_factory=lambda: int(_env("TUOYU_REFRESH_TTL_SECONDS", str(30 * 24 * 3600)))
    )
    clock_leeway_seconds: int = field(
        default_factory=lambda: int(_env("TUOYU_CLOCK_LEEWAY_SECONDS", "30"))
    )
    # One-time codes: "log" writes them to the log (development); demo mode fixes the code.
    sms_sender: str = field(default_factory=lambda: _env("TUOYU_SMS_SENDER", "log"))
    demo_otp_code: str | None = field(default_factory=lambda: os.environ.get("TUOYU_DEMO_OTP"))
    otp_ttl_seconds: int = field(default_factory=lambda: int(_env("TUOYU_OTP_TTL_SECONDS", "300")))
    otp_max_attempts: int = field(default_factory=lambda: int(_env("TUOYU_OTP_MAX_ATTEMPTS", "5")))
    # Reads may wait this long for projections to reach X-Min-Position.
    read_wait_seconds: float = field(
        default_factory=lambda: float(_env("TUOYU_READ_WAIT_SECONDS", "2.0"))
    )
    # Projections: ready only while every read model is at most this many events behind.
    ready_max_lag_events: int = field(
        default_factory=lambda: int(_env("TUOYU_READY_MAX_LAG_EVENTS", "1000"))
    )
    # The ticker that runs timed jobs (no-show release); 0 turns it off in this process.
    tick_seconds: float = field(default_factory=lambda: float(_env("TUOYU_TICK_SECONDS", "30")))
    log_format: str = field(default_factory=lambda: _env("TUOYU_LOG_FORMAT", "json"))

    @property
    def embedded_pg_dir(self) -> Path:
        return self.data_dir / "pg"
