"""An app on a fresh database per test, a real HTTP client, and a small world to act in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn

from backend.api.app import create_app
from backend.runtime import close_runtime, open_runtime
from backend.settings import Settings
from backend.state import Runtime
from tests.api.world import CapturingSms, World


@pytest.fixture
async def runtime(database_url: str) -> AsyncIterator[Runtime]:
    rt = await open_runtime(Settings(database_url=database_url), database_url)
    rt.sms = CapturingSms()
    yield rt
    await close_runtime(rt)


@pytest.fixture
async def second_worker(database_url: str, runtime: Runtime) -> AsyncIterator[Runtime]:
    """Another server process's runtime on the test's database: its own pool, store and cached
    aggregates, no projector. Give it the test's clock once the test has set it."""
    rt = await open_runtime(Settings(database_url=database_url), database_url, follow=False)
    yield rt
    await close_runtime(rt)


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """Real HTTP requests through the ASGI app, on the test's own event loop."""
    app = create_app(runtime=runtime)
    app.state.runtime = runtime
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tuoyu.test") as http:
        yield http


@pytest.fixture
async def world(runtime: Runtime, client: httpx.AsyncClient) -> World:
    w = World(runtime, client)
    await w.seed_city()
    return w


@pytest.fixture
async def server_url(runtime: Runtime) -> AsyncIterator[str]:
    """The app served over a real socket (for streams: the ASGI transport buffers bodies)."""
    app = create_app(runtime=runtime)
    app.state.runtime = runtime
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers a flag, not an event)
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task
