"""What every request's input must be before a handler sees it, refused naming the field.

**JSON types, strictly.** Litestar converts a body to its Struct leniently (`strict=False`, as
query strings need): `"5"` would pass for a capacity and `"true"` for a guardian's consent. So
the body is first decoded strictly into the handler's body type; what that refuses (a string
where a number or a boolean belongs) is refused here. The handler's own decoding then runs as
before and finds the same values.

**No control characters in text.** PostgreSQL cannot store U+0000 in text: an event carrying
one would be stored (events keep their state as bytes) and then stop every read model at the
step that writes it, for everyone. Other C0 controls are never meant in a name, a note or a
reason either. A byte search over the body and query string costs a microsecond; only a
request it matches is decoded again to name the field. Tab, line feed and carriage return stay
allowed (a note may have lines).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException

RULE = "control characters (U+0000–U+001F except tab and line breaks) are not allowed"
# What may be a JSON escape of a refused character (u00XX, or \b or \f for U+0008, U+000C):
# a match only sends the body to the exact check (an escaped backslash before it is no escape).
# Starting with the backslash itself lets the search skip to backslashes: ~1 µs a check-in,
# where a look-behind first tried every byte (~19 µs).
_ESCAPED = re.compile(rb"\\(?:[bf]|u00(?:0[0-8bcefBCEF]|1[0-9a-fA-F]))")
_PERCENT = re.compile(rb"%(?:0[0-8bcefBCEF]|1[0-9a-fA-F])")  # the same, in a query string
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BODY_METHODS = frozenset(("POST", "PUT", "PATCH"))
_AT = re.compile(r" - at `(\$[^`]*)`$")  # where msgspec says a value failed


async def check_input(request: Request[Any, Any, Any]) -> None:
    """A `before_request` hook: 400 naming the first field that is not what it must be."""
    query = request.scope.get("query_string", b"")
    if query and _PERCENT.search(query):
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if _REFUSED.search(name) or _REFUSED.search(value):
                raise _refused(name, "query", RULE)
    if request.method not in _BODY_METHODS:
        return
    body = await request.body()  # kept by Litestar: the handler's decoding reads it again
    if not body:
        return  # the handler says whether it needs one
    if b"\\" in body and _ESCAPED.search(body):
        try:
            decoded = msgspec.json.decode(body)
        except msgspec.DecodeError:
            return  # not JSON: the handler refuses it as such
        for path in _paths_with_refused_text(decoded, "$"):
            raise _refused(path, "body", RULE)
    field = request.route_handler.parsed_data_field
    if field is not None:
        decoder = _strict_decoder(field.annotation)
        try:
            decoder.decode(body)
        except msgspec.ValidationError as wrong:
            at = _AT.search(str(wrong))
            message = _AT.sub("", str(wrong))
            raise _refused(at.group(1) if at else "$", "body", message) from None
        except msgspec.DecodeError:
            return  # not JSON: the handler refuses it as such


@cache
def _strict_decoder(body_type: Any) -> msgspec.json.Decoder[Any]:
    """A strict decoder of a handler's body type, made once per type."""
    return msgspec.json.Decoder(body_type)


def _paths_with_refused_text(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if _REFUSED.search(value):
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if _REFUSED.search(key):
                yield path
            yield from _paths_with_refused_text(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths_with_refused_text(item, f"{path}[{index}]")


def _refused(key: str, source: str, message: str) -> ValidationException:
    """As Litestar words its own: the body itself is `data`, a path inside it `$.a.b`."""
    key = "data" if key == "$" else key
    return ValidationException(
        detail=f"{key.removeprefix('$.')}: {message}",
        extra=[{"key": key, "source": source, "message": message}],
    )
