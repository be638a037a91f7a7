"""`entropy-complete serve --tcp` listens on loopback and speaks LSP; `--stdio` is accepted (as
vscode-languageclient appends it)."""

from __future__ import annotations

import asyncio
import sys

from rpc_client import connect, free_port, stopped

from lsp_server.__main__ import build_parser


def test_serve_arguments() -> None:
    args = build_parser().parse_args(["serve", "--stdio"])
    assert args.stdio and not args.tcp
    args = build_parser().parse_args(["serve", "--tcp"])
    assert args.host == "127.0.0.1"  # loopback unless asked otherwise


async def test_tcp_server_answers_initialize() -> None:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lsp_server", "serve", "--tcp", "--port", str(port)
    )
    try:
        client = await connect(port)
        reply = await client.request("initialize", {"capabilities": {}})
        caps = reply["result"]["capabilities"]
        assert "inlineCompletionProvider" in caps and "completionProvider" in caps
        assert (await client.request("shutdown"))["id"] == 2
        client.notify("exit")
        await client.drain()
        client.close()
        assert await stopped(proc, 30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
