"""What the running app holds: pool, event store, projector, settings, clock, ids, SMS sender."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from api_schema.attendance import LiveOccupancy
from backend.auth.data_access import LoggedToday
from backend.auth.otp import LogSmsSender, SmsSender
from backend.clock import Clock, IdSource
from backend.eventstore.store import EventStore
from backend.live_feed import FeedHub
from backend.projector import Projector
from backend.settings import Settings
from backend.unmoved_cache import UnmovedCache
from projections.booking_queries import Taken, UsedMinutes
from projections.room_catalogue import RoomCatalogue
from projections.room_presence import RoomPresence


@dataclass
class Runtime:
    settings: Settings
    pool: asyncpg.Pool
    store: EventStore
    projector: Projector
    clock: Clock = field(default_factory=Clock)
    ids: IdSource = field(default_factory=IdSource)
    sms: SmsSender = field(default_factory=LogSmsSender)
    # answers kept while the read models have not moved: see routes.live_occupancy and
    # auth.access.staff_role
    live_occupancy: UnmovedCache[UUID, tuple[LiveOccupancy, bytes]] = field(
        default_factory=lambda: UnmovedCache(10_000)
    )
    carer_views: UnmovedCache[tuple[UUID, UUID], tuple[LiveOccupancy, bytes]] = field(
        default_factory=lambda: UnmovedCache(10_000)
    )  # the live answer as each caregiver sees it (their rooms): see api.carer_view
    staff_roles: UnmovedCache[tuple[UUID, UUID], str | None] = field(
        default_factory=lambda: UnmovedCache(50_000)
    )
    # a child's birth date and guardians for availability searches, kept while the children
    # read model has not changed (see routes.occupancy_and_availability)
    children_seen: UnmovedCache[UUID, dict[str, Any]] = field(
        default_factory=lambda: UnmovedCache(50_000)
    )
    # which children each staff reader was logged seeing today (auth.data_access)
    logged_today: LoggedToday = field(default_factory=LoggedToday)
    # a child's booked time on a day, for the same searches (routes.occupancy_and_availability)
    child_times: UnmovedCache[tuple[UUID, date], tuple[Taken, UsedMinutes]] = field(
        default_factory=lambda: UnmovedCache(50_000)
    )
    feed_hub: FeedHub = field(init=False)  # which institutions' live feeds moved
    # room → (institution, time zone): neither ever changes once the room exists
    room_homes: dict[UUID, tuple[UUID, str]] = field(default_factory=dict)
    institution_zones: dict[UUID, str] = field(default_factory=dict)  # likewise
    # every room's search facts, kept while the institutions read model has not changed
    room_catalogue: RoomCatalogue = field(default_factory=RoomCatalogue)
    # who is present in each room-day searched, kept until the projector changes it
    room_presence: RoomPresence = field(default_factory=RoomPresence)

    def __post_init__(self) -> None:
        self.feed_hub = FeedHub(self.pool, self.projector)
        self.projector.watch(self.room_presence.heard)
        self.projector.erasures.tell(self._forget_children)

    def _forget_children(self, erased: Sequence[UUID]) -> None:
        """Erased children's rows (name, birth date) leave the searches' copy at once: it would
        serve them no more, but would keep them in memory until read again (ADR 0012)."""
        for child_id in erased:
            self.children_seen.drop(child_id)
