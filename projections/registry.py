"""Every read model the projector keeps, by name."""

from __future__ import annotations

from projections import accounts, bookings, children, cities, institutions
from projections.base import Projection

ALL: tuple[Projection, ...] = (cities, accounts, institutions, children, bookings)  # type: ignore[assignment]


def by_name(name: str) -> Projection:
    for projection in ALL:
        if projection.name == name:
            return projection
    raise KeyError(name)
