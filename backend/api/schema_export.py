"""The OpenAPI document as the app serves it at /schema/openapi.json, for export and checking."""

from __future__ import annotations

from typing import Any

import msgspec

from backend.settings import Settings


def openapi_document() -> dict[str, Any]:
    from backend.api.app import create_app

    app = create_app(Settings())
    # Round-trip through msgspec so Structs inside examples become plain JSON values.
    schema: dict[str, Any] = msgspec.json.decode(
        msgspec.json.encode(app.openapi_schema.to_schema())
    )
    return schema
