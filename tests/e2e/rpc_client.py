"""A raw JSON-RPC client for the protocol-edge tests: it writes any bytes (broken frames included)
to a real server over stdio or TCP and collects every answer by id, which pytest-lsp's typed
client cannot do."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

SERVE = [sys.executable, "-m", "lsp_server", "serve"]
# One CTranslate2 thread: the machine has few cores and the tests run beside other work.
INIT_OPTIONS = {"model": {"threads": 1}}


def frame(message: Any) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class RpcClient:
    """One connection: ``send``/``request`` write frames, a reader task files every answer."""

    def __init__(self, reader: asyncio.StreamReader, writer: Any) -> None:
        self.reader, self.writer = reader, writer
        self.answers: dict[Any, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.unparsed = 0
        self._waiters: dict[Any, asyncio.Future[dict[str, Any]]] = {}
        self._next_id = 0
        self._task = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        while True:
            length = -1
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line or length < 0:
                return
            try:
                message = json.loads(await self.reader.readexactly(length))
            except (ValueError, asyncio.IncompleteReadError):
                self.unparsed += 1
                continue
            if "method" in message and "id" in message:  # a request from the server
                self.write({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "method" in message:
                self.notifications.append(message)
            elif "id" in message:
                self.answers[message["id"]] = message
                waiter = self._waiters.pop(message["id"], None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(message)

    def write(self, data: bytes | dict[str, Any]) -> None:
        self.writer.write(data if isinstance(data, bytes) else frame(data))

    async def drain(self) -> None:
        with contextlib.suppress(ConnectionError):
            await self.writer.drain()

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def send_request(self, method: str, params: Any = None, msg_id: Any = None) -> Any:
        """Writes a request and returns its id (without waiting)."""
        msg_id = self.new_id() if msg_id is None else msg_id
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            message["params"] = params
        self.write(message)
        return msg_id

    async def answer(self, msg_id: Any, timeout: float = 30.0) -> dict[str, Any]:
        if msg_id not in self.answers:
            fut = self._waiters.setdefault(msg_id, asyncio.get_running_loop().create_future())
            await self.drain()
            await asyncio.wait_for(asyncio.shield(fut), timeout)
        return self.answers[msg_id]

    async def request(self, method: str, params: Any = None, timeout: float = 30.0) -> Any:
        return await self.answer(self.send_request(method, params), timeout)

    def notify(self, method: str, params: Any = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.write(message)

    async def initialize(self, options: dict[str, Any] | None = None) -> dict[str, Any]:
        reply = await self.request(
            "initialize",
            {
                "processId": None,
                "capabilities": {"window": {"workDoneProgress": False}},
                "initializationOptions": INIT_OPTIONS if options is None else options,
            },
        )
        self.notify("initialized", {})
        return reply

    async def wait_model(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not (await self.request("entropyComplete/stats"))["result"]["modelLoaded"]:
            assert time.monotonic() < deadline, "the model never loaded"
            await asyncio.sleep(0.05)

    def close(self) -> None:
        self._task.cancel()
        self.writer.close()


async def stdio_server(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[asyncio.subprocess.Process, RpcClient]:
    """A server process over pipes; its log goes to tmp_path/server.log."""
    proc = await asyncio.create_subprocess_exec(
        *SERVE,
        "--log-file",
        str(tmp_path / "server.log"),
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), **(env or {})},
        limit=2**26,
    )
    assert proc.stdin is not None and proc.stdout is not None
    return proc, RpcClient(proc.stdout, proc.stdin)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def connect(port: int, timeout: float = 30.0) -> RpcClient:
    deadline = time.monotonic() + timeout
    while True:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**26)
            return RpcClient(reader, writer)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


def rss_kib(pid: int) -> int:
    """Resident memory of a process (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def stopped(proc: asyncio.subprocess.Process, timeout: float = 20.0) -> int:
    """The exit code, killing the process if it has not ended within ``timeout``."""
    try:
        return await asyncio.wait_for(proc.wait(), timeout)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError("the server did not exit") from None


async def exit_code(proc: asyncio.subprocess.Process, client: RpcClient) -> int:
    """Sends `exit`; the code the server ends with."""
    client.notify("exit")
    await client.drain()
    return await stopped(proc)


async def shut_down(proc: asyncio.subprocess.Process, client: RpcClient) -> int:
    """`shutdown` (answered null), then `exit`; the code the server ends with."""
    reply = await client.request("shutdown")
    assert reply["result"] is None and "error" not in reply, reply
    return await exit_code(proc, client)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.05)
