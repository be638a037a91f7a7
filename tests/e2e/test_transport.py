"""`entropy-complete serve --tcp` listens on loopback and speaks LSP; `--stdio` is accepted (as
vscode-languageclient appends it)."""

from __future__ import annotations

import asyncio
import json
import socket
import sys

from lsp_server.__main__ import build_parser


def test_serve_arguments() -> None:
    args = build_parser().parse_args(["serve", "--stdio"])
    assert args.stdio and not args.tcp
    args = build_parser().parse_args(["serve", "--tcp"])
    assert args.host == "127.0.0.1"  # loopback unless asked otherwise


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _send(writer: asyncio.StreamWriter, message: dict) -> None:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    await writer.drain()


async def _receive(reader: asyncio.StreamReader) -> dict:
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(await reader.readexactly(length))


async def test_tcp_server_answers_initialize() -> None:
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lsp_server", "serve", "--tcp", "--port", str(port)
    )
    try:
        for _ in range(200):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError("the TCP server never listened")
        await _send(writer, {"id": 1, "method": "initialize", "params": {"capabilities": {}}})
        reply = await asyncio.wait_for(_receive(reader), 30)
        caps = reply["result"]["capabilities"]
        assert "inlineCompletionProvider" in caps and "completionProvider" in caps
        await _send(writer, {"id": 2, "method": "shutdown"})
        assert (await asyncio.wait_for(_receive(reader), 30))["id"] == 2
        await _send(writer, {"method": "exit"})
        writer.close()
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
