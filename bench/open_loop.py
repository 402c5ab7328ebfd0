"""Open-loop HTTP load: requests sent on a schedule whatever the answers, latency from the scheduled time.

A closed-loop client waits for each answer before it sends again, so a slow server slows the
client down and the slow answers it would have met are never sent (coordinated omission).
Here a scheduler submits request k at t0 + k/rate; a pool of keep-alive HTTP/1.1 connections
(hand-written, as bench/raw_http.py: httpx costs ~1 ms of bench CPU per request, which at
1,000/s would be a core taken from the server) sends each on the next free connection, and its
latency runs from the time it was due, so any queueing, the client's own included, counts.

A request still waiting for a connection `abandon_after` seconds after it was due is not sent
and counts as an error with that wait as its latency (the client's queue cannot grow without
bound when a server falls behind); a p99 near that figure therefore means "at least".
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.servers import CpuMeter

# status (int) or an error's name, the response body, when it was sent, when it was answered
Done = Callable[[int | str, bytes, float, float], None]
ABANDONED = "abandoned"
ABANDON_AFTER = 2.0  # s a request may wait for a connection before the client gives it up


@dataclass(slots=True)
class Job:
    due: float  # time.perf_counter() when it should go out
    data: bytes  # the whole request
    done: Done


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Status and body of one HTTP/1.1 response (Content-Length or chunked)."""
    status = int((await reader.readline()).split()[1])
    length, chunked = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, await reader.readexactly(length)
    body = b""
    while size := int((await reader.readline()).strip(), 16):
        body += (await reader.readexactly(size + 2))[:-2]
    await reader.readline()
    return status, body


def request_bytes(method: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    if body:
        lines.append("Content-Type: application/json")
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connections:
    """`size` keep-alive connections to one port; jobs wait in one FIFO for the next free one."""

    def __init__(self, port: int, size: int, abandon_after: float) -> None:
        self.port, self.size, self.abandon_after = port, size, abandon_after
        self.queue: asyncio.Queue[Job | None] = asyncio.Queue()
        self.tasks: list[asyncio.Task[None]] = []
        self.in_flight = 0

    async def open(self) -> None:
        opened = [await asyncio.open_connection("127.0.0.1", self.port) for _ in range(self.size)]
        self.tasks = [asyncio.create_task(self._worker(*pair)) for pair in opened]

    def submit(self, job: Job) -> None:
        self.in_flight += 1
        self.queue.put_nowait(job)

    async def close(self) -> None:
        for _ in self.tasks:
            self.queue.put_nowait(None)
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _worker(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (job := await self.queue.get()) is not None:
                sent = time.perf_counter()
                if sent - job.due > self.abandon_after:
                    self._finish(job, ABANDONED, b"", sent, sent)
                    continue
                try:
                    writer.write(job.data)
                    status, body = await read_response(reader)
                except (OSError, EOFError, ValueError, IndexError) as error:
                    self._finish(job, type(error).__name__, b"", sent, time.perf_counter())
                    writer.close()  # the connection's state is unknown: start a new one
                    reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                    continue
                self._finish(job, status, body, sent, time.perf_counter())
        finally:
            writer.close()

    def _finish(self, job: Job, status: int | str, body: bytes, sent: float, at: float) -> None:
        self.in_flight -= 1
        job.done(status, body, sent, at)


async def schedule(rate: float, start: float, end: float, send: Callable[[float], None]) -> None:
    """Call `send(due)` for due = start + k/rate while due < end, each as soon as it is due."""
    k = 0
    while (due := start + k / rate) < end:
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        elif k % 64 == 0:
            await asyncio.sleep(0)  # behind schedule: let the connections read meanwhile
        send(due)
        k += 1


@dataclass
class OpenTally:
    """One kind of request in one contestant's windows at one offered rate."""

    label: str
    role: str
    rate: float  # offered, per second
    offered: int = 0  # due inside the measured windows
    ok: int = 0
    other: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # from due to answered (or given up)
    send_delays: list[float] = field(default_factory=list)  # from due to sent: the client's part
    cpu: list[dict[str, Any]] = field(default_factory=list)
    samples: dict[str, str] = field(default_factory=dict)  # status → first body

    def record(self, status: int | str, due: float, sent: float, answered: float, ok: int,
               body: bytes = b"") -> None:  # fmt: skip
        self.latencies.append(answered - due)
        self.send_delays.append(sent - due)
        if status == ok:
            self.ok += 1
            return
        self.other[str(status)] += 1
        if body and str(status) not in self.samples:  # the first answer of each kind, as evidence
            self.samples[str(status)] = body[:300].decode(errors="replace")

    @property
    def errors(self) -> int:
        """Everything due that did not get its expected status (unsent and unanswered too)."""
        return self.offered - self.ok

    def percentile_ms(self, q: float, values: list[float] | None = None) -> float | None:
        values = self.latencies if values is None else values
        if len(values) < 2:
            return None
        cuts = statistics.quantiles(values, n=1000, method="inclusive")
        return cuts[min(int(q * 1000) - 1, len(cuts) - 1)] * 1000

    def p99(self) -> float:
        return self.percentile_ms(0.99) or 0.0

    def summary(self) -> dict[str, Any]:
        p50, p99 = self.percentile_ms(0.5), self.percentile_ms(0.99)
        send = self.percentile_ms(0.99, self.send_delays)
        return {
            "offered_per_s": self.rate,
            "offered": self.offered,
            "events": self.ok,
            "other": dict(self.other),
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "events_per_s": round(self.ok / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": None if p50 is None else round(p50, 2),
            "p99_ms": None if p99 is None else round(p99, 2),
            "max_ms": round(max(self.latencies) * 1000, 2) if self.latencies else None,
            "send_delay_p99_ms": None if send is None else round(send, 2),
            "cpu": self.cpu,
            "error_samples": self.samples,
        }


async def measure_cpu(meter: CpuMeter, begin: float, end: float, answered: Callable[[], int],
                      out: OpenTally) -> None:  # fmt: skip
    """CPU per side over [begin, end) (perf_counter times), kept on `out`."""
    await asyncio.sleep(max(begin - time.perf_counter(), 0))
    first, before = meter.sample(), answered()
    await asyncio.sleep(max(end - time.perf_counter(), 0))
    cpu = CpuMeter.between(first, meter.sample())
    n = max(answered() - before, 1)
    cpu["bench_ms_per_response"] = round(cpu["bench_client_cores"] * cpu["wall_s"] / n * 1000, 3)
    cpu["responses"] = n
    out.cpu.append(cpu)
