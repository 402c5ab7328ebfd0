"""The server `tuoyu serve` runs: each response leaves in one write, and HTTP still behaves
(keep-alive, streams, a closed connection) through a real socket."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn
from litestar import Litestar, get
from litestar.response import Stream

from backend.http_server import CoalescingHttpToolsProtocol, _CoalescingTransport


class _RecordingTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 1) if name in ("sockname", "peername") else None


async def test_writes_made_in_one_pass_of_the_loop_leave_as_one_write():
    real = _RecordingTransport()
    transport = _CoalescingTransport(real, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(b"{}")
    assert real.writes == []
    await asyncio.sleep(0)
    assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
    for _ in range(5):  # a long stream written in one pass goes out at 64 KiB
        transport.write(b"x" * 16 * 1024)
    assert [len(w) for w in real.writes[1:]] == [64 * 1024]
    await asyncio.sleep(0)
    assert [len(w) for w in real.writes[1:]] == [64 * 1024, 16 * 1024]
    transport.write(b"next")
    transport.close()  # what was written before closing still goes
    assert (real.writes[-1], real.closed) == (b"next", True)
    assert transport.get_extra_info("sockname") == ("127.0.0.1", 1)


@get("/json")
async def as_json() -> dict[str, int]:
    return {"answer": 42}


@get("/stream")
async def as_stream() -> Stream:
    async def chunks() -> AsyncIterator[bytes]:
        for n in range(3):
            yield f"chunk {n}\n".encode()
            await asyncio.sleep(0.01)

    return Stream(chunks())


async def test_a_real_socket_keeps_alive_streams_and_closes_as_before():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()  # connections wait in the backlog until the server accepts them
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        Litestar([as_json, as_stream]), http=CoalescingHttpToolsProtocol, log_config=None,
        access_log=False, lifespan="off",
    )  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            answers = [await client.get("/json") for _ in range(20)]  # one kept-alive connection
            assert {(a.status_code, a.text) for a in answers} == {(200, '{"answer":42}')}
            streamed = await client.get("/stream")
            assert streamed.text == "chunk 0\nchunk 1\nchunk 2\n"
            closing = await client.get("/json", headers={"Connection": "close"})
            assert closing.json() == {"answer": 42}
    finally:
        server.should_exit = True
        await task
