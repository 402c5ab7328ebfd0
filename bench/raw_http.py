"""The hot room's and the searches' HTTP client: lean HTTP/1.1 keep-alive connections, one per client.

httpx costs the bench process about a millisecond of CPU per request, and on two cores that
CPU is taken from the server and PostgreSQL: with it, the figures measured the load
generator (the plain INSERT endpoint itself stayed under 1,200 requests/s). This client
writes the request bytes itself and reads the status line, headers and body (Content-Length
or chunked) off one connection per client, for about 0.05 ms of bench CPU per request. A
connection that fails is counted as an error of that kind and opened again.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from urllib.parse import urlencode

from bench.http_load import Outcomes, Request, _measure_cpu, _Window, classify
from bench.open_loop import read_response, request_bytes
from bench.servers import CpuMeter
from bench.timing import collector_paused


def encode(request: Request) -> bytes:
    method, path, payload, headers = request
    body = b""
    if method == "GET" and payload:
        path = f"{path}?{urlencode(payload)}"
    elif payload is not None:
        body = json.dumps(payload).encode()
    return request_bytes(method, path, body, headers)


async def raw_window(
    port: int, clients: int, next_request: Callable[[], Request], out: Outcomes,
    warmup: float, duration: float, meter: CpuMeter | None = None, accepted: int = 201,
) -> None:  # fmt: skip
    """`clients` closed-loop clients, each on its own keep-alive connection, each sending its
    next request when the last is answered; counted as bench/http_load.py counts. The bench's
    own collector is paused meanwhile (bench/timing.py, `collector_paused`)."""
    with collector_paused():
        await _closed_loop(port, clients, next_request, out, warmup, duration, meter, accepted)


async def _closed_loop(
    port: int, clients: int, next_request: Callable[[], Request], out: Outcomes,
    warmup: float, duration: float, meter: CpuMeter | None, accepted: int,
) -> None:  # fmt: skip
    window = _Window(warmup, duration)

    async def worker() -> None:
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while (started := time.perf_counter()) < window.end:
            try:
                if connection is None:
                    connection = await asyncio.open_connection("127.0.0.1", port)
                reader, writer = connection
                writer.write(encode(next_request()))
                kind = classify((await read_response(reader))[0], accepted)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as error:
                kind = type(error).__name__
                if connection is not None:
                    connection[1].close()
                connection = None
            out.all_accepted += kind == "accepted"
            window.record(out, started, time.perf_counter(), kind)
        if connection is not None:
            connection[1].close()

    await asyncio.gather(*(worker() for _ in range(clients)), _measure_cpu(meter, window, out))
    out.seconds += duration
    out.per_second += window.buckets
