"""A lean HTTP/1.1 keep-alive client, for diagnostics only: the servers with a cheaper load generator.

httpx costs the bench process about a millisecond of CPU per request, and on two cores that
CPU is taken from the server and PostgreSQL. This client writes the request bytes itself and
reads the status line, headers and body (Content-Length or chunked) off one connection per
client, so the same window shows how much of a figure the load generator was.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from urllib.parse import urlencode

from bench.http_load import Outcomes, Request, _measure_cpu, _Window, classify
from bench.open_loop import read_response
from bench.servers import CpuMeter


def _encode(request: Request) -> bytes:
    method, path, payload, headers = request
    body = b""
    if method == "GET" and payload:
        path = f"{path}?{urlencode(payload)}"
    elif payload is not None:
        body = json.dumps(payload).encode()
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    if body:
        lines.append("Content-Type: application/json")
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def raw_window(
    port: int, clients: int, next_request: Callable[[], Request], out: Outcomes,
    warmup: float, duration: float, meter: CpuMeter | None = None, accepted: int = 201,
) -> None:  # fmt: skip
    window = _Window(warmup, duration)

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while (started := time.perf_counter()) < window.end:
                writer.write(_encode(next_request()))
                kind = classify((await read_response(reader))[0], accepted)
                out.all_accepted += kind == "accepted"
                window.record(out, started, time.perf_counter(), kind)
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(clients)), _measure_cpu(meter, window, out))
    out.seconds += duration
    out.per_second += window.buckets
