"""Page size and offset of list routes, as query parameters with their bounds enforced.

Litestar checks a query parameter's bounds only when they are given through `Parameter`
(bounds in `msgspec.Meta` on the annotation are dropped for parameters), so a negative offset
would otherwise reach PostgreSQL and fail there.
"""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

MAX_PAGE = 200
MAX_OFFSET = 1_000_000  # deeper than any list goes; keeps the value inside PostgreSQL's bigint
PageLimit = Annotated[int, Parameter(ge=1, le=MAX_PAGE, description=f"page size, 1–{MAX_PAGE}")]
PageOffset = Annotated[
    int, Parameter(ge=0, le=MAX_OFFSET, description=f"rows to skip, 0–{MAX_OFFSET:,}")
]
