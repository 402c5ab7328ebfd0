"""Reading a Server-Sent Events stream in tests: events as dicts of their fields."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


async def read_events(
    url: str, headers: dict[str, str], wanted: int, sink: list[dict[str, Any]],
    first: asyncio.Event | None = None,
) -> None:  # fmt: skip
    """Read SSE events into `sink` until `wanted` have come; set `first` on the first."""
    async with (
        httpx.AsyncClient(timeout=10) as http,
        http.stream("GET", url, headers=headers) as response,
    ):
        assert response.status_code == 200
        event: dict[str, Any] = {}
        async for line in response.aiter_lines():
            if not line:
                if "event" in event:
                    sink.append(event)
                    if first is not None:
                        first.set()
                    if len(sink) >= wanted:
                        return
                event = {}
            elif not line.startswith(":"):
                field, _, value = line.partition(": ")
                event[field] = value


async def stream_opened(
    url: str, headers: dict[str, str], wanted: int
) -> tuple[asyncio.Task[None], list[dict[str, Any]]]:
    """Read the stream in the background until `wanted` events came; return (the reading task,
    the events so far) once the first one (the snapshot) is in."""
    seen: list[dict[str, Any]] = []
    first = asyncio.Event()
    reader = asyncio.create_task(read_events(url, headers, wanted, seen, first))
    await asyncio.wait_for(first.wait(), 10)
    return reader, seen
