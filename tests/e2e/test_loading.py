"""What editors see around the model: requests that arrive while it loads are answered empty at
once (an editor must never wait seconds on a keystroke), an automatic request that shows
nothing because the model was unsure says so with entropyComplete/abstained, and a client that
asks is told each shown item's confidence with entropyComplete/shown."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from e2e_helpers import (
    AUTOMATIC,
    INVOKED,
    SHAPES,
    end_of,
    initialize,
    inline_params,
    open_doc,
    plain,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

from completion import Engine
from lsp_server.config import ModelOptions
from lsp_server.documents import DocumentStore
from lsp_server.model_host import ModelHost, load_engine
from lsp_server.suggestions import Suggester, Trigger
from lsp_server.telemetry import Telemetry


async def test_requests_while_the_model_loads_are_answered_empty_at_once(tmp_path: Path) -> None:
    # The shipped model, held back until the test lets it finish loading.
    gate = threading.Event()

    def gated_load(options: ModelOptions) -> Engine:
        gate.wait(60)
        return load_engine(options)

    host = ModelHost(gated_load)
    docs = DocumentStore()
    suggester = Suggester(docs, host, Telemetry(tmp_path / "telemetry.jsonl"))
    uri = "file:///shapes.py"
    docs.open(types.TextDocumentItem(uri, "python", 1, SHAPES))
    pos = end_of(SHAPES)
    try:
        t = time.perf_counter()
        for trigger in (Trigger.AUTOMATIC, Trigger.INVOKED):
            answer = await suggester.answer(uri, pos, trigger, typing_through=True)
            assert answer is None
        assert time.perf_counter() - t < 0.5  # not queued behind the load
        assert suggester.stats.not_ready == 2 and suggester.stats.model_calls == 0
        assert host.current_load is not None and not host.current_load.done()

        gate.set()
        await asyncio.wait_for(host.current_load, 60)
        answer = await suggester.answer(uri, pos, Trigger.INVOKED, typing_through=True)
        assert answer is not None and answer.items
        assert suggester.stats.model_calls == 1 and suggester.stats.not_ready == 2
    finally:
        gate.set()
        host.shutdown()


@pytest.mark.any_client
async def test_automatic_abstention_is_notified(client: LanguageClient) -> None:
    notes: list[dict] = []

    @client.feature("entropyComplete/abstained")
    def abstained(params):  # unannotated: pygls passes an annotated handler the client too
        notes.append(plain(params))

    # No suggestion clears a threshold of 1.0: automatic requests always abstain.
    await initialize(client, {"automatic": {"abstainBelow": 1.0}})
    uri = open_doc(client, "shapes.py", SHAPES)
    pos = end_of(SHAPES)
    result = await client.text_document_inline_completion_async(inline_params(uri, pos, AUTOMATIC))
    assert result is not None and not result.items
    await asyncio.sleep(0.2)  # the notification was written before the response; let it land
    (note,) = notes
    assert note["uri"] == uri and note["version"] == 1
    assert note["abstainBelow"] == 1.0 and 0.0 <= note["bestConfidence"] < 1.0
    assert note["position"] == {"line": pos.line, "character": pos.character}

    # Invoked requests never abstain, and say nothing.
    result = await client.text_document_inline_completion_async(inline_params(uri, pos, INVOKED))
    assert result is not None and result.items
    assert len(notes) == 1


@pytest.mark.any_client
@pytest.mark.parametrize("asks", [True, False], ids=["asks", "does not ask"])
async def test_shown_items_are_notified_to_a_client_that_asks(
    client: LanguageClient, asks: bool
) -> None:
    notes: list[dict] = []

    @client.feature("entropyComplete/shown")
    def shown(params):  # unannotated: pygls passes an annotated handler the client too
        notes.append(plain(params))

    experimental = {"entropyComplete": {"shown": True}} if asks else None
    await initialize(client, {"automatic": {"abstainBelow": 0.0}}, experimental=experimental)
    uri = open_doc(client, "shapes.py", SHAPES)
    pos = end_of(SHAPES)
    for kind in (AUTOMATIC, INVOKED):
        result = await client.text_document_inline_completion_async(inline_params(uri, pos, kind))
        assert result is not None and result.items
    await asyncio.sleep(0.2)  # the notification was written before the response; let it land
    if not asks:
        assert notes == []
        return
    assert len(notes) == 2
    for note in notes:
        assert note["uri"] == uri and note["version"] == 1
        assert note["position"] == {"line": pos.line, "character": pos.character}
    # The same confidences, in the same order, as the items' accept commands carry.
    carried = [item.command.arguments[0]["confidence"] for item in result.items]
    assert [i["confidence"] for i in notes[-1]["items"]] == carried
    assert all(0.0 <= c <= 1.0 and i["flags"] == [] for c, i in zip(carried, notes[-1]["items"]))
