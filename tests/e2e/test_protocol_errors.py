"""Every request gets a result or the JSON-RPC error that says why (real server over stdio):
lifecycle, bad params, unknown methods and URIs, broken frames, poisoned text, popups.

Choices, as pyright and typescript-language-server make them: a position past the end of the
document is clamped (LSP says so for columns); a request for a document that is not open
answers null; a position the protocol cannot hold (a string, negative, over 2^31) is
InvalidParams."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from e2e_helpers import DATA, SHAPES
from rpc_client import RpcClient, exit_code, frame, shut_down, stdio_server

SERVER_NOT_INITIALIZED, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = (
    -32002,
    -32600,
    -32601,
    -32602,
)
URI = (DATA / "shapes.py").as_uri()
END = {"line": SHAPES.count("\n"), "character": len(SHAPES.rsplit("\n", 1)[-1])}


def inline(uri: str, position: Any, kind: int = 1) -> dict[str, Any]:
    return {"textDocument": {"uri": uri}, "position": position, "context": {"triggerKind": kind}}


def open_doc(client: RpcClient, uri: str, text: str, language: str = "python") -> None:
    item = {"uri": uri, "languageId": language, "version": 1, "text": text}
    client.notify("textDocument/didOpen", {"textDocument": item})


def code(reply: dict[str, Any]) -> int | None:
    return reply.get("error", {}).get("code")


async def test_lifecycle_and_bad_requests(tmp_path: Path) -> None:
    proc, client = await stdio_server(tmp_path, "--log-level", "debug")
    try:
        # Before initialize: requests refused with -32002, notifications dropped.
        assert code(await client.request("entropyComplete/stats")) == SERVER_NOT_INITIALIZED
        open_doc(client, URI, "dropped = 1\n")
        assert code(await client.request("textDocument/inlineCompletion", inline(URI, END))) == (
            SERVER_NOT_INITIALIZED
        )
        assert "capabilities" in (await client.initialize())["result"]
        assert code(await client.initialize()) == INVALID_REQUEST  # only once
        await client.wait_model()
        # The didOpen before initialize was dropped: the document is unknown (null answer).
        assert (await client.request("textDocument/inlineCompletion", inline(URI, END)))[
            "result"
        ] is None
        open_doc(client, URI, SHAPES)

        assert code(await client.request("textDocument/hover", inline(URI, END))) == (
            METHOD_NOT_FOUND
        )
        assert code(await client.request("no/such/method", {"x": 1})) == METHOD_NOT_FOUND
        client.notify("no/such/notification", {})  # ignored
        for position in ("3:4", {"line": -1, "character": 0}, {"line": 2**40, "character": 0}):
            reply = await client.request("textDocument/inlineCompletion", inline(URI, position))
            assert code(reply) == INVALID_PARAMS, reply
            assert "position" in reply["error"]["message"]
        bad_kind = await client.request("textDocument/inlineCompletion", inline(URI, END, 7))
        assert code(bad_kind) == INVALID_PARAMS
        assert code(await client.request("textDocument/completion", [1, 2])) == INVALID_PARAMS
        # Clamped: a line far past the end is the end of the document.
        far = await client.request(
            "textDocument/inlineCompletion", inline(URI, {"line": 10**6, "character": 0})
        )
        assert "error" not in far and far["result"]["items"]
        ghost = (DATA / "never_opened.py").as_uri()
        assert (await client.request("textDocument/inlineCompletion", inline(ghost, END)))[
            "result"
        ] is None
        # Params left out (JSON-RPC allows it) still get an answer.
        assert (await client.request("entropyComplete/stats"))["result"]["modelLoaded"]

        # Broken frames, then a valid request: the stream recovers at once.
        for junk in (
            b"Content-Length: 100000000000\r\n\r\n{}",
            b'Content-Length: 400\r\n\r\n{"jsonrpc": "2.0", "id": 9',  # truncated
            b"Content-Length: 5\r\n\r\n{{{{{",
            b"Content-Length: abc\r\n\r\n",
            b"\x00\xffrandom bytes\r\n",
            frame([1, 2, 3]),
        ):
            client.write(junk)
        assert (await client.request("entropyComplete/stats"))["result"]["modelLoaded"]

        assert (await client.request("shutdown"))["result"] is None
        after = await client.request("textDocument/inlineCompletion", inline(URI, END))
        assert code(after) == INVALID_REQUEST
        assert await exit_code(proc, client) == 0
    finally:
        client.close()
        if proc.returncode is None:
            proc.kill()
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log
    for skipped in ("over the 67108864 limit", "shorter than its Content-Length", "not JSON"):
        assert skipped in log


async def test_poisoned_text_stays_in_its_document(tmp_path: Path) -> None:
    """A lone surrogate, NULs and mixed line breaks: every document still completes, and the
    poisoned one (a neighbouring snippet for the others) breaks nothing."""
    proc, client = await stdio_server(tmp_path)
    try:
        await client.initialize()
        await client.wait_model()
        poisoned = {
            "poison_surrogate.py": "def area(r):\n    return \ud800 * r\n",
            "poison_nul.py": "def area(r):\n    return \x00\x00 * r\n" + "\x00" * 100,
            "poison_lines.py": "def area(r):\r\n    x = 1\r    y = 2\n    return ",
        }
        for name, text in poisoned.items():
            open_doc(client, (DATA / name).as_uri(), text)
        open_doc(client, "untitled:\ud800", "def area(r):\n    return r\n")  # a poisoned URI
        open_doc(client, URI, SHAPES)
        reply = await client.request("textDocument/inlineCompletion", inline(URI, END))
        assert "error" not in reply and reply["result"]["items"], reply
        for name, text in poisoned.items():
            last = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            pos = {"line": len(last) - 1, "character": len(last[-1])}
            reply = await client.request(
                "textDocument/inlineCompletion", inline((DATA / name).as_uri(), pos)
            )
            assert "error" not in reply, (name, reply)
            for item in reply["result"]["items"]:
                assert item["range"]["start"] == pos
        # Bad edit ranges (end before start, past the end) neither crash nor stop answers.
        for rng in (
            {"start": {"line": 1, "character": 4}, "end": {"line": 0, "character": 0}},
            {"start": {"line": 99, "character": 0}, "end": {"line": 120, "character": 9}},
        ):
            change = {
                "textDocument": {"uri": URI, "version": 2},
                "contentChanges": [{"range": rng, "text": "\ud800x"}],
            }
            client.notify("textDocument/didChange", change)
        reply = await client.request("textDocument/inlineCompletion", inline(URI, END))
        assert "error" not in reply, reply
        assert not [m for m in client.notifications if m["method"] == "window/showMessage"]
    finally:
        client.close()
        proc.kill()
        await proc.wait()


async def test_one_popup_per_problem(tmp_path: Path) -> None:
    proc, client = await stdio_server(tmp_path)
    try:
        await client.initialize()
        for threads in ("x", "y", -3, "x"):  # the same bad setting, other values
            bad = {"entropyComplete": {"model": {"threads": threads}}}
            client.notify("workspace/didChangeConfiguration", {"settings": bad})
        client.notify(
            "workspace/didChangeConfiguration", {"settings": {"entropyComplete": {"nope": 1}}}
        )
        await client.request("entropyComplete/stats")
        await asyncio.sleep(0.2)
        shown = [
            m["params"]["message"]
            for m in client.notifications
            if m["method"] == "window/showMessage"
        ]
        assert len(shown) == 3, shown  # threads not an integer, threads out of range, nope
    finally:
        client.close()
        proc.kill()
        await proc.wait()


async def test_shutdown_while_the_model_loads(tmp_path: Path) -> None:
    """`initialized` is still loading the model: its pending future is cancelled and shutdown
    is answered (pygls' loop over the pending futures raised InternalError)."""
    proc, client = await stdio_server(tmp_path)
    try:
        await client.initialize()  # and `initialized`, whose handler awaits the model load
        assert await shut_down(proc, client) == 0
    finally:
        client.close()
        if proc.returncode is None:
            proc.kill()
