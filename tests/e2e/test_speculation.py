"""What the server computes between a keystroke and the request the editor sends after its
debounce: the automatic request itself, started at the keystroke (lsp_server/speculation.py),
and with that off, the prompt prefix of a new line (lsp_server/warming.py)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from e2e_helpers import (
    AUTOMATIC,
    INVOKED,
    SHAPES,
    end_of,
    inline_params,
    open_doc,
    plain,
    pushed,
    stats,
    type_text,
    wait_for,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

# Near-greedy sampling, every answer shown, and a prompt from the document alone, so the same
# text and cursor give the same answer whichever way it was computed.
SHARED_OPTIONS: dict = {
    "automatic": {"temperature": 0, "abstainBelow": 0},
    "context": {"neighbouringTabs": False},
    "grounding": {"workspaceIndex": False},
}
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.any_client]


def events(lc: LanguageClient) -> list[dict[str, Any]]:
    log = lc.state_dir / "entropy-complete" / "telemetry.jsonl"  # type: ignore[attr-defined]
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


async def ask(lc: LanguageClient, uri: str, pos: types.Position) -> list[tuple[str, float]]:
    answer = await lc.text_document_inline_completion_async(inline_params(uri, pos, AUTOMATIC))
    assert answer is not None
    items = answer.items if isinstance(answer, types.InlineCompletionList) else answer
    return [
        (str(item.insert_text), plain(item.command.arguments[0])["confidence"])  # type: ignore[union-attr,index]
        for item in items
    ]


async def test_the_request_takes_over_what_the_keystroke_started(server: LanguageClient) -> None:
    text = f"# started at the keystroke\n{SHAPES}"
    uri = open_doc(server, "speculation.py", text)
    end = end_of(text)
    await ask(server, uri, end)  # the document gets automatic requests: keystrokes start them
    before = await stats(server)
    seen = len(events(server))
    type_text(server, uri, 2, end, "\n    ")
    cursor = types.Position(end.line + 1, 4)
    await wait_for(server, lambda s: s["speculations"] > before["speculations"], what="a start")
    started = await ask(server, uri, cursor)
    after = await stats(server)
    assert after["speculationsUsed"] == before["speculationsUsed"] + 1
    # One generation for the keystroke and the request; one request; logged as shown once.
    assert after["modelCalls"] == before["modelCalls"] + 1
    assert after["requests"] == before["requests"] + 1
    assert started, "abstainBelow 0 shows every answer"
    logged = [e for e in events(server)[seen:] if e["event"] in ("shown", "abstain")]
    assert len({e["request"] for e in logged}) == 1 and len(logged) == len(started)
    assert all(e["started_before_asked"] for e in logged)

    # The same text and cursor asked with speculation off (and no cache): the same answer.
    async with pushed(server, {"speculate": False, "cacheSize": 0}):
        erase = types.Range(end, cursor)
        server.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
                content_changes=[types.TextDocumentContentChangePartial(range=erase, text="")],
            )
        )
        type_text(server, uri, 4, end, "\n    ")
        seen = len(events(server))
        asked = await ask(server, uri, cursor)
        off = await stats(server)
    assert not any("started_before_asked" in e for e in events(server)[seen:])
    assert asked == started
    assert off["speculations"] == after["speculations"]
    assert off["modelCalls"] == after["modelCalls"] + 1

    # A request that comes before the pause is over starts it at once, and takes it over.
    async with pushed(server, {"speculateAfterMs": 1000}):
        type_text(server, uri, 5, cursor, "r")
        t0 = time.monotonic()
        await ask(server, uri, types.Position(cursor.line, cursor.character + 1))
        took = time.monotonic() - t0
        soon = await stats(server)
    assert took < 0.9, f"the request waited for the pause: {took:.2f} s"
    assert soon["speculationsUsed"] == off["speculationsUsed"] + 1


async def test_what_the_keystroke_started_is_dropped_when_the_request_differs(
    server: LanguageClient,
) -> None:
    text = f"# the request differs\n{SHAPES}"
    uri = open_doc(server, "speculation_differs.py", text)
    end = end_of(text)
    await ask(server, uri, end)
    before = await stats(server)
    # Two keystrokes at once: the first one's request never starts (it waits for a pause).
    type_text(server, uri, 2, end, "\n")
    type_text(server, uri, 3, types.Position(end.line + 1, 0), "    ")
    cursor = types.Position(end.line + 1, 4)
    await wait_for(server, lambda s: s["speculations"] > before["speculations"], what="a start")
    await asyncio.sleep(0.2)
    assert (await stats(server))["speculations"] == before["speculations"] + 1
    # An invoked request and one elsewhere take nothing over; they are answered as usual.
    asked = await server.text_document_inline_completion_async(inline_params(uri, cursor, INVOKED))
    assert asked is not None and asked.items  # type: ignore[union-attr]
    type_text(server, uri, 4, cursor, "r")
    assert await ask(server, uri, types.Position(end.line, 0)) is not None
    after = await stats(server)
    assert after["speculationsUsed"] == before["speculationsUsed"]
    assert after["requests"] == before["requests"] + 2
    assert after["stale"] == before["stale"]  # stopped starts are no stale requests


async def test_an_unasked_document_starts_nothing(server: LanguageClient) -> None:
    text = f"# never asked automatically\n{SHAPES}"
    uri = open_doc(server, "speculation_quiet.py", text)
    before = await stats(server)
    type_text(server, uri, 2, end_of(text), "\n")
    await asyncio.sleep(0.3)
    assert (await stats(server))["speculations"] == before["speculations"]


async def test_typing_on_another_line_computes_its_prefix_before_the_request(
    server: LanguageClient,
) -> None:
    async with pushed(server, {"speculate": False}):
        await prefix_warming(server)


async def prefix_warming(server: LanguageClient) -> None:
    """With speculation off: typing on a new line warms that line's prefix, once."""
    text = "# prefix warming\n" + "".join(
        f"def shape_{i}(width, height):\n    return width * height + {i}\n\n" for i in range(60)
    )
    uri = open_doc(server, "prefix_warming.py", text)
    quiet = open_doc(server, "never_asked.py", text)  # no automatic request: never warmed
    await server.text_document_inline_completion_async(
        inline_params(uri, types.Position(10, 0), AUTOMATIC)
    )
    before = (await stats(server))["prefixWarms"]
    far = types.Position(160, 4)  # another line, far below: none of its prefix is kept
    type_text(server, quiet, 2, far, "r")
    type_text(server, uri, 2, far, "r")
    for _ in range(100):
        if (await stats(server))["prefixWarms"] > before:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # time for a (wrong) second warm to be counted too
    assert (await stats(server))["prefixWarms"] == before + 1
    # The request there is answered as usual (its prefix is the one just computed).
    answer = await server.text_document_inline_completion_async(
        inline_params(uri, types.Position(160, 5), AUTOMATIC)
    )
    assert answer is not None
    # Typing on along the same line warms nothing more.
    type_text(server, uri, 3, types.Position(160, 5), "e")
    await asyncio.sleep(0.2)
    assert (await stats(server))["prefixWarms"] == before + 1
