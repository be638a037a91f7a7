"""A 10 MB file through the real server over stdio (#16): opening it and typing in it keep the
server responsive, and an invoked request on it answers within a second of one on a normal file.

The in-process test (tests/unit/test_huge_documents.py) measures the request path's pieces;
this one adds what only the real process shows: the 10 MB JSON frame, the server's own event
loop between the client's messages, and its RSS.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.e2e.rpc_client import RpcClient, rss_kib, shut_down, stdio_server
from tests.unit.test_huge_documents import SOURCE, huge

BIG, SMALL = "file:///huge/big.py", "file:///huge/small.py"


def _open(client: RpcClient, uri: str, text: str) -> None:
    item = {"uri": uri, "languageId": "python", "version": 1, "text": text}
    client.notify("textDocument/didOpen", {"textDocument": item})


async def _timed(client: RpcClient, method: str, params: Any = None) -> tuple[float, Any]:
    t = time.perf_counter()
    reply = await client.request(method, params, timeout=60)
    return time.perf_counter() - t, reply


async def _invoked_ms(client: RpcClient, uri: str, line: int) -> float:
    params = {
        "textDocument": {"uri": uri},
        "position": {"line": line, "character": 8},
        "context": {"triggerKind": 1},  # invoked: no debounce, the whole window
    }
    seconds, reply = await _timed(client, "textDocument/inlineCompletion", params)
    assert "result" in reply, reply
    return seconds * 1000


async def test_a_10_mb_file_over_stdio_answers_like_a_small_one(tmp_path: Path) -> None:
    proc, client = await stdio_server(tmp_path)
    try:
        await client.initialize({})
        await client.wait_model()
        rss0 = rss_kib(proc.pid)
        text = huge()
        _open(client, SMALL, SOURCE)
        _open(client, BIG, text)
        # The open is answered in order: the next request waits for it, and not for long.
        seconds, _ = await _timed(client, "entropyComplete/stats")
        assert seconds < 2.0, seconds
        # Keystrokes in the middle of the file: each rescans its own lines, not 10 MB.
        mid = text[: len(text) // 2].count("\n")
        t = time.perf_counter()
        for version in range(2, 22):
            pos = {"line": mid, "character": 0}
            change = {"range": {"start": pos, "end": pos}, "text": "x"}
            doc = {"uri": BIG, "version": version}
            client.notify(
                "textDocument/didChange", {"textDocument": doc, "contentChanges": [change]}
            )
        await client.request("entropyComplete/stats")
        per_key_ms = (time.perf_counter() - t) * 1000 / 20
        assert per_key_ms < 50, per_key_ms
        line = SOURCE[: SOURCE.index("def put")].count("\n") + 1
        big_line = text[: text.index("def put", len(text) // 2)].count("\n") + 1
        await _invoked_ms(client, SMALL, line)  # warm-up
        small = [await _invoked_ms(client, SMALL, line + k) for k in (1, 2)]
        big = [await _invoked_ms(client, BIG, big_line + k) for k in (1, 2)]
        assert min(big) < min(small) + 1000, (small, big)
        grown_mb = (rss_kib(proc.pid) - rss0) / 1024
        assert grown_mb < 200, grown_mb  # the text, its line table, a parse region, the frame
        assert await shut_down(proc, client) == 0
    finally:
        client.close()
        if proc.returncode is None:
            proc.kill()
