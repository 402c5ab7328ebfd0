"""The rotating one-time code (and QR) a guardian shows at drop-off and pick-up.

Stateless: a 6-digit HMAC of the child and a 2-minute window under the server's secret, so the
app needs no round trip per rotation and a code stolen from a screenshot is stale within
minutes. The current and the previous window are accepted (a code is valid 2–4 minutes);
"one-time" is kept by the child's stream, which records every code it was let in or out with
(`Child.Arrived`, `Child.Left`), so a code used at one institution is refused at every other.

A code is checked against the device's time (`at`): an offline tablet replays a scan hours
later (ADR 0007). So the server cannot tell a replay from a signed-in carer giving an old code
a back-dated `at`; what it keeps is both times, `at` and when it was recorded, side by side in
the attendance audit trail, and an institution's own staff are the only ones who can do it.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from uuid import UUID

import msgspec

from domain.errors import InvalidValue

WINDOW_SECONDS = 120
QR_PREFIX = "tuoyu:child:"


class CodeInvalid(InvalidValue):
    code = "code-invalid"


class ShownCode(msgspec.Struct, frozen=True):
    code: str
    qr: str
    valid_until: datetime


def _window(at: datetime) -> int:
    return int(at.timestamp()) // WINDOW_SECONDS


def _code(secret: str, child_id: UUID, window: int) -> str:
    mac = hmac.new(secret.encode(), f"attendance:{child_id}:{window}".encode(), hashlib.sha256)
    return f"{int.from_bytes(mac.digest()[:8], 'big') % 1_000_000:06d}"


def code_for(secret: str, child_id: UUID, now: datetime) -> ShownCode:
    window = _window(now)
    code = _code(secret, child_id, window)
    until = datetime.fromtimestamp((window + 2) * WINDOW_SECONDS, UTC)
    return ShownCode(code, f"{QR_PREFIX}{child_id}:{code}", until)


def verify(secret: str, child_id: UUID, shown: str | None, at: datetime) -> str:
    """The code's one-time key if `shown` (a code or the QR text) is valid for the child at
    `at`; refused by name otherwise."""
    code = (shown or "").strip().removeprefix(f"{QR_PREFIX}{child_id}:")
    window = _window(at)
    for candidate in (window, window - 1):
        if hmac.compare_digest(code, _code(secret, child_id, candidate)):
            return f"{child_id}:{candidate}"
    raise CodeInvalid(
        "the code is wrong or expired: ask the guardian to refresh it in the app", field="code"
    )
