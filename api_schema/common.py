"""Shapes every endpoint shares: command acknowledgements and pages."""

from __future__ import annotations

from uuid import UUID

import msgspec


class CommandAccepted(msgspec.Struct, frozen=True):
    """A command was recorded. `position` is the global position of its last event: pass it as
    `X-Min-Position` on a read to see your own write."""

    id: UUID
    version: int
    position: int | None = None
    replayed: bool = False
