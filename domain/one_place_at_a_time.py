"""Someone is at one institution at a time: a child checked in there, a carer on a shift there.
Where they are is kept on their own stream (institution → since when), as an attendance day
knows one institution only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from uuid import UUID

LONGEST_PRESENCE = timedelta(hours=24)  # older: a departure (pick-up, clock-out) never recorded


def present_elsewhere(
    since_by_institution: Mapping[UUID, datetime], here: UUID, at: datetime
) -> tuple[UUID, datetime] | None:
    """The other institution they were at, at `at`, and since when; else None. An act replayed
    from before that presence began is history and stands."""
    for elsewhere, since in since_by_institution.items():
        if elsewhere != here and since <= at < since + LONGEST_PRESENCE:
            return elsewhere, since
    return None
