"""Shapes every endpoint shares: command acknowledgements and pages."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec


class CommandAccepted(msgspec.Struct, frozen=True):
    """A command was recorded. `position` is the global position of its last event: pass it as
    `X-Min-Position` on a read to see your own write."""

    id: UUID
    version: int
    position: int | None = None
    replayed: bool = False


PageLimit = Annotated[int, msgspec.Meta(ge=1, le=200, description="page size, 1–200")]
PageOffset = Annotated[int, msgspec.Meta(ge=0, description="rows to skip")]
