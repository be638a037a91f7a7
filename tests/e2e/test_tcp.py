"""`serve --tcp` with several clients at once: each has its own documents and gets only its own
answers, the model is loaded once for all, one client leaving affects no other; a warning when
bound beyond loopback; SIGTERM and a closed stdin end the server cleanly, telemetry intact."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import DATA
from rpc_client import connect, free_port, rss_kib, shut_down, stdio_server, stopped

URI = (DATA / "same_name.py").as_uri()  # both clients open this URI, with different text
TEXTS = {
    "a": "def area_of_circle(radius):\n    return ",
    "b": "def greet(name):\n    message = 'hello ' + name\n    return ",
}


def _inline(text: str) -> dict[str, Any]:
    last = text.split("\n")
    position = {"line": len(last) - 1, "character": len(last[-1])}
    return {"textDocument": {"uri": URI}, "position": position, "context": {"triggerKind": 1}}


async def _tcp_server(tmp_path: Path, *args: str) -> tuple[asyncio.subprocess.Process, int]:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "lsp_server", "serve", "--tcp", "--port", str(port)),
        *("--log-file", str(tmp_path / "server.log"), "--log-level", "info", *args),
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")},
    )
    return proc, port


async def test_two_clients_each_get_their_own_answers(tmp_path: Path) -> None:
    proc, port = await _tcp_server(tmp_path)
    try:
        a = await connect(port)
        await a.initialize()
        await a.wait_model()
        rss_one = rss_kib(proc.pid)
        b = await connect(port)
        b._next_id = 10_000  # ids that cannot be mistaken for a's
        await b.initialize()
        await b.wait_model()
        # The second client shares the loaded model: far less than a second copy.
        assert rss_kib(proc.pid) - rss_one < 60_000

        for client, key in ((a, "a"), (b, "b")):
            item = {"uri": URI, "languageId": "python", "version": 1, "text": TEXTS[key]}
            client.notify("textDocument/didOpen", {"textDocument": item})
        ra, rb = await asyncio.gather(
            a.request("textDocument/inlineCompletion", _inline(TEXTS["a"])),
            b.request("textDocument/inlineCompletion", _inline(TEXTS["b"])),
        )
        # Each answer is for its own client's document: the range ends on that text's cursor.
        for reply, key in ((ra, "a"), (rb, "b")):
            items = reply["result"]["items"]
            assert items and all(
                i["range"]["start"] == _inline(TEXTS[key])["position"] for i in items
            )
        assert all(i < 10_000 for i in a.answers) and all(i >= 10_000 for i in b.answers)

        # a vanishes without shutdown: b is unaffected.
        a.close()
        await asyncio.sleep(0.3)
        assert (await b.request("entropyComplete/stats"))["result"]["modelLoaded"]
        # A third client comes and goes meanwhile.
        c = await connect(port)
        assert "result" in await c.initialize()
        c.close()
        assert await shut_down(proc, b) == 0  # the last client's exit ends an editor's own server
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log and log.count("connected") == 3


async def test_sigterm_ends_tcp_cleanly_and_warns_beyond_loopback(tmp_path: Path) -> None:
    proc, port = await _tcp_server(tmp_path, "--host", "0.0.0.0")
    try:
        client = await connect(port)
        await client.initialize()
        await client.wait_model()
        item = {"uri": URI, "languageId": "python", "version": 1, "text": TEXTS["a"]}
        client.notify("textDocument/didOpen", {"textDocument": item})
        assert (await client.request("textDocument/inlineCompletion", _inline(TEXTS["a"])))[
            "result"
        ]["items"]
        proc.send_signal(signal.SIGTERM)
        assert await stopped(proc) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    log = (tmp_path / "server.log").read_text()
    assert "listening on 0.0.0.0: anyone who can reach it" in log
    assert "Traceback" not in log
    _assert_telemetry_intact(tmp_path)


@pytest.mark.parametrize("end", ["stdin closed", "SIGTERM", "stdout closed first"])
async def test_stdio_ends_cleanly(tmp_path: Path, end: str) -> None:
    proc, client = await stdio_server(tmp_path)
    await client.initialize()
    await client.wait_model()
    item = {"uri": URI, "languageId": "python", "version": 1, "text": TEXTS["b"]}
    client.notify("textDocument/didOpen", {"textDocument": item})
    assert (await client.request("textDocument/inlineCompletion", _inline(TEXTS["b"])))["result"]
    if end == "SIGTERM":
        proc.send_signal(signal.SIGTERM)
    elif end == "stdout closed first":
        # The editor stops reading, then the server answers: a broken pipe, not a SIGPIPE death.
        client.reader._transport.close()  # type: ignore[attr-defined]
        client.send_request("textDocument/inlineCompletion", _inline(TEXTS["a"]))
        await client.drain()
        await asyncio.sleep(1.0)
        client.close()
    else:
        client.close()  # no shutdown: the editor crashed
    assert await stopped(proc) == 0
    assert "Traceback" not in (tmp_path / "server.log").read_text()
    _assert_telemetry_intact(tmp_path)


def _assert_telemetry_intact(tmp_path: Path) -> None:
    files = list((tmp_path / "state").rglob("*.jsonl"))
    lines = [line for f in files for line in f.read_text().splitlines()]
    assert lines, files
    assert all(isinstance(json.loads(line), dict) for line in lines)  # no torn last line
