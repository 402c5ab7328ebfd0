"""The attendance load: children of the world's rooms checked in on schedule, and out again.

Each check-in takes an idle child of the next room (round robin over the rooms, so the load
is spread over every institution's attendance day). A room never holds more children than it
has places or than its clocked-in carers' ratio allows, so no refusal is expected. Both
contestants get the same requests: the real app, and the plain anchor app, which only
validates the bodies and INSERTs a row.

When the children are collected, `hold`:
- None, the morning drop-off (the measured windows): a child stays while the window runs;
  once its check-ins are all sent, the children are collected at the same pace (each one
  the window's length after its check-in was due), uncounted. The offered rate is then the
  check-in requests the server answers, and as many attendance events.
- seconds: a child is collected that long after its check-in's 201, and the check-out counts
  (latency from that due time) when it falls in the measured window: the server answers
  about twice the check-in rate.

A child whose state is unknown (a check-in that got no clear answer, a check-out that failed)
is checked out again, uncounted, until the server says it is out (201) or was not in (4xx).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from bench.attendance_world import AttendanceWorld, AttendRoom
from bench.open_loop import ABANDONED, Connections, Job, OpenTally, request_bytes
from bench.servers import Server

CHECK_INS, CHECK_OUTS = "/v1/attendance/check-ins", "/v1/attendance/check-outs"
MAX_REPAIRS = 5
REPAIR_AFTER = 0.25  # seconds before an unclear child is checked out again
P99_HELD_MS = 100.0  # a rate is held with a check-in p99 up to this and no errors


class Cycle:
    """Which child goes next, the request bytes, and what each answer means for that child."""

    def __init__(self, world: AttendanceWorld, hold: float | None,
                 on_checked_in: Callable[[UUID, str, float], None] | None = None) -> None:  # fmt: skip
        self.world, self.hold, self.on_checked_in = world, hold, on_checked_in
        self.zone = ZoneInfo(world.timezone)
        self.rooms = world.rooms
        self.idle: list[deque[tuple[str, str]]] = [
            deque((str(c), phone) for c, phone in r.children) for r in world.rooms
        ]
        self.room_ids = [str(r.room_id) for r in world.rooms]
        self.next_room = 0
        self.busy = 0  # children not idle: in flight, held, or being repaired
        self.lost: list[tuple[int, str, str]] = []  # failed MAX_REPAIRS check-outs in a row
        self.recovered = 0  # … and were checked out after their window
        self.pool: Connections | None = None
        self.ins = self.outs = OpenTally("", "", 0)
        self.begin = self.end = self.span = 0.0
        self.quiet = asyncio.Event()  # set when the last busy child is idle again

    def start(self, pool: Connections, ins: OpenTally, outs: OpenTally, t0: float, begin: float,
              end: float) -> None:  # fmt: skip
        """A window: check-ins scheduled from `t0`, counted from `begin` until `end`."""
        self.pool, self.ins, self.outs, self.begin, self.end = pool, ins, outs, begin, end
        self.span = end - t0

    def _collected_at(self, due: float, answered: float) -> float:
        """When a child checked in (due at `due`, answered at `answered`) is collected."""
        if self.hold is None:  # the morning: after the window, at the pace it arrived
            return max(due + self.span, answered)
        return answered + self.hold

    def _device_time(self) -> str:
        return datetime.now(self.zone).isoformat(timespec="milliseconds")

    def _headers(self, room: AttendRoom) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.world.tokens[room.institution_id]}",
            "Idempotency-Key": uuid4().hex,
        }

    def check_in(self, due: float) -> None:
        """Send the next check-in (scheduled for `due`), or count that no child was idle."""
        counted = self.begin <= due < self.end
        self.ins.offered += counted
        for _ in range(len(self.rooms)):
            i = self.next_room
            self.next_room = (i + 1) % len(self.rooms)
            if self.idle[i]:
                break
        else:
            if counted:
                self.ins.other["no idle child (client)"] += 1
            return
        child, phone = self.idle[i].popleft()
        self.busy += 1
        body = (
            f'{{"child_id":"{child}","room_id":"{self.room_ids[i]}","at":"{self._device_time()}",'
            '"health_check":{"temperature_c":36.6},"method":"manual"}'
        ).encode()
        data = request_bytes("POST", CHECK_INS, body, self._headers(self.rooms[i]))

        def done(status: int | str, body: bytes, sent: float, answered: float) -> None:
            if counted:
                self.ins.record(status, due, sent, answered, 201, body)
            if status == 201:
                if self.on_checked_in is not None:
                    self.on_checked_in(self.rooms[i].institution_id, child, answered)
                self._check_out_later(i, child, phone, self._collected_at(due, answered), 0)
            elif status == ABANDONED:  # never sent: the child is still out
                self._idle(i, child, phone)
            else:  # refused, or no clear answer: make sure it is out before it comes back
                self._check_out_later(i, child, phone, self._collected_at(due, answered), 1)

        assert self.pool is not None
        self.pool.submit(Job(due, data, done))

    def _check_out_later(self, i: int, child: str, phone: str, due: float, repair: int) -> None:
        delay = max(due - time.perf_counter(), 0.0)
        asyncio.get_running_loop().call_later(delay, self._check_out, i, child, phone, due, repair)

    def _check_out(self, i: int, child: str, phone: str, due: float, repair: int) -> None:
        counted = repair == 0 and self.begin <= due < self.end
        self.outs.offered += counted
        room = self.rooms[i]
        body = (
            f'{{"child_id":"{child}","institution_id":"{room.institution_id}",'
            f'"at":"{self._device_time()}","collector":{{"name":"压测家长","phone":"{phone}",'
            '"identity_check":"id_card"}}'
        ).encode()
        data = request_bytes("POST", CHECK_OUTS, body, self._headers(room))

        def done(status: int | str, body: bytes, sent: float, answered: float) -> None:
            if counted:
                self.outs.record(status, due, sent, answered, 201, body)
            if status == 201 or (repair and isinstance(status, int) and 400 <= status < 500):
                self._idle(i, child, phone)  # out now, or (after an unclear check-in) never in
            elif repair < MAX_REPAIRS:
                self._check_out_later(i, child, phone, answered + REPAIR_AFTER, repair + 1)
            else:  # recover() tries again once the window is over
                self.lost.append((i, child, phone))
                self._free()

        assert self.pool is not None
        self.pool.submit(Job(due, data, done))

    def _idle(self, i: int, child: str, phone: str) -> None:
        self.idle[i].append((child, phone))
        self._free()

    def _free(self) -> None:
        self.busy -= 1
        if not self.busy:
            self.quiet.set()

    async def settle(self, timeout: float) -> int:
        """Wait until every child is idle again, checking out once more (uncounted, on a now
        quiet server) those given up on; returns how many were still busy."""
        for _ in range(2):
            self.quiet = asyncio.Event()
            if self.busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.quiet.wait(), timeout)
            lost, self.lost = self.lost, []
            if self.busy or not lost:
                break
            self.recovered += len(lost)
            self.busy += len(lost)
            for i, child, phone in lost:
                self._check_out(i, child, phone, time.perf_counter(), MAX_REPAIRS)
        return self.busy


@dataclass
class Rates:
    """One contestant's open-loop windows: rate → (check-ins, check-outs)."""

    label: str
    role: str
    server: Server
    cycle: Cycle
    windows: dict[int, tuple[OpenTally, OpenTally]] = field(default_factory=dict)
    ramp: list[int] = field(default_factory=list)  # rates tried beyond the fixed ones
    settled: list[str] = field(default_factory=list)

    def held(self, rate: int) -> bool:
        ins, outs = self.windows[rate]
        p99 = ins.percentile_ms(0.99)
        return ins.ok == ins.offered > 0 and outs.ok == outs.offered and p99 is not None and p99 <= P99_HELD_MS  # fmt: skip

    @property
    def best(self) -> int:
        return max((r for r in self.windows if self.held(r)), default=0)
