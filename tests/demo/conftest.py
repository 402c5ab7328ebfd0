"""A Runtime on the test's fresh database, with the projector's tables made but not following."""

from __future__ import annotations

import asyncpg
import pytest

from backend.eventstore.store import EventStore
from backend.projector import Projector
from backend.settings import Settings
from backend.state import Runtime
from projections.registry import ALL


@pytest.fixture
async def runtime(pool: asyncpg.Pool, store: EventStore) -> Runtime:
    rt = Runtime(settings=Settings(), pool=pool, store=store, projector=Projector(store, ALL))
    await rt.projector.ensure_schema()
    return rt
