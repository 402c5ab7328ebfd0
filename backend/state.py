"""What the running app holds: pool, event store, projector, settings, clock, ids, SMS sender."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from backend.auth.otp import LogSmsSender, SmsSender
from backend.clock import Clock, IdSource
from backend.eventstore.store import EventStore
from backend.live_feed import FeedHub
from backend.projector import Projector
from backend.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    pool: asyncpg.Pool
    store: EventStore
    projector: Projector
    clock: Clock = field(default_factory=Clock)
    ids: IdSource = field(default_factory=IdSource)
    sms: SmsSender = field(default_factory=LogSmsSender)
    # institution → ((read-model position, minute), live occupancy): see routes.live_occupancy
    live_occupancy: dict[UUID, tuple[tuple[int, datetime], Any]] = field(default_factory=dict)
    # (institution, account) → (read-model position, staff role): see auth.access.staff_role
    staff_roles: dict[tuple[UUID, UUID], tuple[int, str | None]] = field(default_factory=dict)
    feed_hub: FeedHub = field(init=False)  # which institutions' live feeds moved
    # room → (institution, time zone): neither ever changes once the room exists
    room_homes: dict[UUID, tuple[UUID, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.feed_hub = FeedHub(self.pool, self.projector)
