"""Every read model the projector keeps, by name."""

from __future__ import annotations

from projections import (
    accounts,
    attendance,
    bookings,
    child_arrangements,
    children,
    cities,
    enrolments,
    institutions,
    notifications,
    waitlist,
)
from projections.base import Projection

ALL: tuple[Projection, ...] = (  # type: ignore[assignment]
    cities,
    accounts,
    institutions,
    children,
    child_arrangements,
    bookings,
    attendance,
    notifications,
    waitlist,
    enrolments,
)


def by_name(name: str) -> Projection:
    for projection in ALL:
        if projection.name == name:
            return projection
    raise KeyError(name)
