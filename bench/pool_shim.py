"""A minimal stand-in for `psycopg_pool`, used only when it is not installed, so eventsourcing's recorder runs.

`eventsourcing.postgres` imports psycopg_pool at module level (its `postgres` extra), but the
dev group only has psycopg[binary]. The recorder's SQL path (pipeline, LOCK TABLE ... IN
EXCLUSIVE MODE, NOTIFY, INSERT ... unnest) is untouched; only connection pooling is this
LIFO queue of connections. Once psycopg-pool is installed the real one is used.
"""

from __future__ import annotations

import importlib.util
import queue
import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

import psycopg

CT = TypeVar("CT", bound=psycopg.Connection[Any])


class ConnectionPool(Generic[CT]):
    def __init__(self, conninfo: str = "", *, connection_class: Any = psycopg.Connection,
                 kwargs: dict[str, Any] | None = None, min_size: int = 4,
                 max_size: int | None = None, configure: Any = None, timeout: float = 30.0,
                 **_ignored: Any) -> None:  # fmt: skip
        self.conninfo = conninfo
        self.connection_class = connection_class
        self.kwargs = kwargs if kwargs is not None else {}
        self.max_size = max_size or min_size
        self.timeout = timeout
        self._configure = configure
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._made = 0
        self._lock = threading.Lock()

    @staticmethod
    def check_connection(conn: Any) -> None:
        conn.execute("")

    def _connect(self, timeout: float | None = None) -> Any:
        conn = self.connection_class.connect(self.conninfo, **self.kwargs)
        if self._configure is not None:
            self._configure(conn)
        return conn

    def open(self, wait: bool = False, timeout: float = 30.0) -> None:
        pass

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[Any]:
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            with self._lock:
                make = self._made < self.max_size
                self._made += make
            conn = self._connect() if make else self._idle.get(timeout=timeout or self.timeout)
        idle = psycopg.pq.TransactionStatus.IDLE
        try:
            yield conn
        except BaseException:
            if not conn.closed and conn.info.transaction_status != idle:
                conn.rollback()
            raise
        else:
            if conn.info.transaction_status != idle:
                conn.commit()
        finally:
            self._idle.put(conn)

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    def __enter__(self) -> ConnectionPool[CT]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def install_if_missing() -> bool:
    """Register this module as `psycopg_pool` if the real one is absent; True if it was."""
    if "psycopg_pool" in sys.modules or importlib.util.find_spec("psycopg_pool") is not None:
        return False
    module = types.ModuleType("psycopg_pool")
    module.ConnectionPool = ConnectionPool  # type: ignore[attr-defined]
    abc = types.ModuleType("psycopg_pool.abc")
    for name in ("ConnectFailedCB", "ConnectionCB", "ConninfoParam", "KwargsParam"):
        setattr(abc, name, Any)
    abc.CT = CT  # type: ignore[attr-defined]
    module.abc = abc  # type: ignore[attr-defined]
    sys.modules["psycopg_pool"] = module
    sys.modules["psycopg_pool.abc"] = abc
    return True
