"""How `tuoyu serve` runs the app under uvicorn: one socket write per response, not two.

uvicorn writes a response's status line and headers as soon as the app sends
`http.response.start`, and the body on `http.response.body`: two `send` system calls and two
TCP segments for every answer, though the app sends both messages in the same pass of the
event loop. `CoalescingHttpToolsProtocol` hands uvicorn a transport that gathers the writes
made in one pass and sends them together at the end of it (docs/adr/0013). Streams (SSE)
still go out chunk by chunk, each a pass later at most. Everything else is uvicorn's own.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

FLUSH_AT_BYTES = 64 * 1024


class _CoalescingTransport:
    """A transport whose writes within one loop pass leave as one; the rest is the real one."""

    __slots__ = ("_loop", "_pending", "_pending_bytes", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] | None = None
        self._pending_bytes = 0

    def write(self, data: bytes) -> None:
        if self._pending is None:
            self._pending, self._pending_bytes = [data], len(data)
            self._loop.call_soon(self._flush)
            return
        self._pending.append(data)
        self._pending_bytes += len(data)
        if self._pending_bytes >= FLUSH_AT_BYTES:  # a long stream in one pass: the real
            self._flush()  # transport takes it now, and applies its back-pressure

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def _flush(self) -> None:
        pending, self._pending = self._pending, None
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self._flush()  # what was written before closing still goes, as with the real one
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]


def serve(app: Any, host: str, port: int) -> None:
    """Serve `app` as `tuoyu serve` does (the benchmarks' servers too)."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_config=None, http=CoalescingHttpToolsProtocol)
