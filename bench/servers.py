"""Server processes for the HTTP benchmarks (bench/serve.py under uvicorn) and CPU accounting.

Each server is its own process on 127.0.0.1 and a free port; its log goes to a file under
.data/bench-logs. CPU time is read from /proc for the server, for the PostgreSQL processes
(every child of the postmaster, so also other databases' backends if anyone else uses the
bench server) and for this process, and the machine's busy share from /proc/stat.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from backend.settings import Settings
from bench.db import ROOT, BenchDatabase

LOGS = ROOT / ".data" / "bench-logs"
_TICK = os.sysconf("SC_CLK_TCK")


def source_fingerprint() -> str:
    """What the app's code looked like (paths, sizes, mtimes) when a server was started, so a
    run whose servers saw different code (someone editing meanwhile) can say so."""
    digest = hashlib.sha256()
    for package in ("backend", "domain", "projections", "api_schema"):
        for path in sorted((ROOT / package).rglob("*.py")):
            stat = path.stat()
            digest.update(f"{path.relative_to(ROOT)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:12]


def source_change_warning(servers: list[Server], consequence: str) -> str | None:
    """A warning when the app's servers of one run started on different source (someone
    edited meanwhile), saying what that means for this run's figures; else None."""
    seen = {s.label: s.fingerprint for s in servers if s.kind == "tuoyu" and s.fingerprint}
    if len(set(seen.values())) <= 1:
        return None
    return (
        "WARNING: the app's source changed while this run was going (fingerprints of"
        f" backend/domain/projections/api_schema when each server started: {seen}); " + consequence
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`python -m bench.serve KIND PORT` with the given environment; waits until it answers."""

    def __init__(self, kind: str, db: BenchDatabase, env: dict[str, str], label: str) -> None:
        self.kind, self.db, self.label = kind, db, label
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DATABASE_URL": db.dsn, "TUOYU_LOG_FORMAT": "text", **env}
        self.process: asyncio.subprocess.Process | None = None
        self.fingerprint = ""
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log_path = LOGS / f"{label}.log"

    async def start(self, ready_path: str, timeout: float = 120.0) -> None:
        self.fingerprint = source_fingerprint()
        with self.log_path.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.serve", self.kind, str(self.port),
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url, timeout=5.0) as client:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise RuntimeError(f"{self.label} exited; see {self.log_path}:\n{self.tail()}")
                try:
                    if (await client.get(ready_path)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.label} not ready in {timeout:.0f}s; see {self.log_path}")

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.terminate()  # uvicorn shuts down gracefully on SIGTERM
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


@dataclass(frozen=True)
class AppAndAnchor:
    """The app and the plain anchor app, both on the bench database and sharing one JWT secret
    (the world's tokens, minted in this process, are valid on both)."""

    settings: Settings
    env: dict[str, str]
    ours: Server
    plain: Server

    @classmethod
    def on(cls, db: BenchDatabase, label: str) -> AppAndAnchor:
        secret = secrets.token_urlsafe(32)
        env = {"TUOYU_JWT_SECRET": secret}
        return cls(
            Settings(database_url=db.dsn, jwt_secret=secret), env,
            Server("tuoyu", db, env, f"{label}-tuoyu"), Server("plain", db, env, f"{label}-plain"),
        )  # fmt: skip

    async def start(self, progress: Any) -> None:
        await self.ours.start("/health/ready")
        await self.plain.start("/health/live")
        ours, plain = self.ours, self.plain
        progress(
            f"servers up: tuoyu {ours.url} (pid {ours.pid}), plain {plain.url} (pid {plain.pid})"
        )


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == parent:
                found.append(int(entry.name))
    return found


def _machine_busy() -> tuple[float, float]:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / _TICK, sum(values) / _TICK


@dataclass
class CpuSample:
    at: float
    server: float
    postgres: dict[int, float]  # per process: backends come and go within a window
    bench: float
    busy: float
    total: float


class CpuMeter:
    """CPU seconds per side over a window: server process, PostgreSQL, this bench process."""

    def __init__(self, db: BenchDatabase, server_pid: int | None) -> None:
        self.server_pid = server_pid
        self.postmaster = int(db.server.get_pid())

    def sample(self) -> CpuSample:
        pg = [self.postmaster, *_children(self.postmaster)]
        busy, total = _machine_busy()
        return CpuSample(
            time.perf_counter(),
            _cpu_seconds(self.server_pid) if self.server_pid else 0.0,
            {p: seconds for p in pg if (seconds := _cpu_seconds(p)) > 0},  # 0: gone
            sum(os.times()[:2]),
            busy,
            total,
        )

    @staticmethod
    def between(a: CpuSample, b: CpuSample) -> dict[str, Any]:
        wall = b.at - a.at
        cores = os.cpu_count() or 1
        share = (b.busy - a.busy) / (b.total - a.total) if b.total > a.total else 0.0
        return {
            "wall_s": round(wall, 2),
            "server_cores": round((b.server - a.server) / wall, 2),
            "postgres_cores": round(_postgres_between(a.postgres, b.postgres) / wall, 2),
            "bench_client_cores": round((b.bench - a.bench) / wall, 2),
            "machine_busy_cores": round(share * cores, 2),
        }


def _postgres_between(a: dict[int, float], b: dict[int, float]) -> float:
    """PostgreSQL's CPU seconds between two samples, process by process: one started meanwhile
    counts whole; one that ended meanwhile (an autovacuum worker, a closed connection) is
    left out, since its last seconds went with it. Summing the totals instead counted such a
    process's earlier seconds against the window (a window once read -1.22 cores)."""
    return sum(max(seconds - a.get(pid, 0.0), 0.0) for pid, seconds in b.items())


def cpu_text(cpu: dict[str, Any]) -> str:
    ours = cpu["server_cores"] + cpu["postgres_cores"] + cpu["bench_client_cores"]
    return (
        f"CPU cores used: server {cpu['server_cores']}, PostgreSQL {cpu['postgres_cores']},"
        f" bench clients {cpu['bench_client_cores']}"
        + (
            f" ({cpu['bench_ms_per_response']} ms per answer)"
            if "bench_ms_per_response" in cpu
            else ""
        )
        + f"; machine busy {cpu['machine_busy_cores']} of {os.cpu_count()}"
        + f" (other processes {max(cpu['machine_busy_cores'] - ours, 0):.2f})"
    )
