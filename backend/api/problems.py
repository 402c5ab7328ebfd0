"""Every error leaves as RFC 9457 problem+json with a stable `type`; no stack trace ever leaves.

One table maps domain and infrastructure errors to HTTP statuses.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from backend.auth.otp import OtpRefused
from backend.auth.tokens import RefreshTokenInvalid, RefreshTokenReused
from backend.commands import IdempotencyKeyReused, TooMuchContention
from domain.errors import AlreadyExists, DomainError, Gone, InvalidValue, NotFound, RuleViolated

log = logging.getLogger("tuoyu.http")
MEDIA_TYPE = "application/problem+json"

DOMAIN_STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    AlreadyExists: 409,
    InvalidValue: 422,
    RuleViolated: 409,
    Gone: 410,
}
HTTP_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    410: "gone",
    415: "unsupported-media-type",
    422: "unprocessable",
    428: "precondition-required",
    429: "too-many-requests",
}


def problem(
    status: int, code: str, title: str, detail: str, request: Request[Any, Any, Any], **extra: Any
) -> Response[dict[str, Any]]:
    body = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **{k: v for k, v in extra.items() if v is not None},
    }
    return Response(body, status_code=status, media_type=MEDIA_TYPE)


def _domain_status(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in DOMAIN_STATUS:
            return DOMAIN_STATUS[cls]
    return 422


def on_domain_error(request: Request[Any, Any, Any], error: DomainError) -> Response[Any]:
    params = {k: v for k, v in error.params.items() if isinstance(v, str | int | float | bool)}
    return problem(
        _domain_status(error),
        error.code,
        type(error).__name__,
        error.detail,
        request,
        field=error.field,
        params=params or None,
    )


# msgspec names a missing field only in its message; Litestar moves the path of the object it
# is missing from into the key ("data" when that object is the body itself).
_MISSING = re.compile(r"missing required field `([^`]+)`")


def _field_name(key: Any, source: Any, message: Any) -> str | None:
    """The field a form can point at: the missing one (under its object's path), the mistyped
    one, or "body" when the body as a whole is wrong."""
    path = key.removeprefix("$.") if isinstance(key, str) else ""
    if source == "body" and path == "data":
        path = ""
    if isinstance(message, str) and (missing := _MISSING.search(message)):
        return f"{path}.{missing.group(1)}" if path else missing.group(1)
    if not isinstance(key, str) or not key:
        return None
    return path or "body"


def on_validation_error(
    request: Request[Any, Any, Any], error: ValidationException
) -> Response[Any]:
    errors = []
    for item in error.extra if isinstance(error.extra, list) else []:
        if isinstance(item, dict):
            errors.append(
                {
                    "field": _field_name(item.get("key"), item.get("source"), item.get("message")),
                    "source": item.get("source"),
                    "message": item.get("message"),
                }
            )
    first = errors[0] if errors else {}
    detail = str(error.detail)
    if first.get("message"):
        detail = f"{first.get('field') or 'request'}: {first['message']}"
    return problem(
        400,
        "validation",
        "Invalid request",
        detail,
        request,
        field=first.get("field"),
        errors=errors,
    )


def on_http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    status = error.status_code
    code = HTTP_CODES.get(status, "http-error")
    return problem(status, code, code.replace("-", " ").capitalize(), str(error.detail), request)


def on_contention(request: Request[Any, Any, Any], error: TooMuchContention) -> Response[Any]:
    return problem(409, "contention", "Too much contention", str(error), request)


def on_key_reused(request: Request[Any, Any, Any], error: IdempotencyKeyReused) -> Response[Any]:
    return problem(
        422, "idempotency-key-reused", "Idempotency-Key reused", str(error), request,
        field="Idempotency-Key",
    )  # fmt: skip


def on_otp_refused(request: Request[Any, Any, Any], error: OtpRefused) -> Response[Any]:
    status = 429 if error.code == "otp-too-soon" else 401
    return problem(status, error.code, "Sign-in code refused", error.detail, request, field="code")


def on_refresh_refused(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    code = "refresh-token-reused" if isinstance(error, RefreshTokenReused) else "refresh-invalid"
    return problem(401, code, "Refresh token refused", str(error), request, field="refresh_token")


def on_unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal",
        "Internal error",
        "something went wrong on our side; it has been logged",
        request,
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: on_domain_error,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    TooMuchContention: on_contention,
    IdempotencyKeyReused: on_key_reused,
    OtpRefused: on_otp_refused,
    RefreshTokenInvalid: on_refresh_refused,
    RefreshTokenReused: on_refresh_refused,
    Exception: on_unexpected,
}
