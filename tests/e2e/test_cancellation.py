"""Cancellation end to end: $/cancelRequest, a superseding request, and a stale document version
each stop the generation mid-way (CTranslate2's step callback), not just the response. One server
serves the module (conftest's ``server``); each test reads the counters it moved."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from e2e_helpers import (
    AUTOMATIC,
    INVOKED,
    SHAPES,
    end_of,
    inline_params,
    open_doc,
    stats,
    type_text,
    wait_for,
)
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcRequestCancelled
from pytest_lsp import LanguageClient

# Invoked requests made slow on purpose (32 hot samples of up to 448 tokens: seconds of work
# on this model), so a cancel always lands while CTranslate2 is still decoding.
SLOW = {
    "invoked": {"candidates": 32, "maxTokens": 448, "temperature": 1.5, "mode": "block"},
    "automatic": {"abstainBelow": 0},
}
SHARED_OPTIONS = SLOW
pytestmark = pytest.mark.asyncio(loop_scope="module")


async def start_slow_request(
    client: LanguageClient,
) -> tuple[str, str, asyncio.Future, dict[str, int]]:
    """A slow invoked request in a document of its own, once the model is decoding it; returns
    its document, id, pending answer and the counters from before it."""
    name = uuid.uuid4().hex[:8]
    uri = open_doc(client, f"slow_{name}.py", SHAPES)
    msg_id = f"slow-{name}"
    before = await stats(client)
    pending = asyncio.ensure_future(
        client.protocol.send_request_async(
            types.TEXT_DOCUMENT_INLINE_COMPLETION,
            inline_params(uri, end_of(SHAPES), INVOKED),
            msg_id=msg_id,
        )
    )
    calls = before["modelCalls"]
    await wait_for(client, lambda s: s["modelCalls"] > calls, what="generation to start")
    return uri, msg_id, pending, before


def moved(now: dict[str, int], before: dict[str, int], *keys: str) -> dict[str, int]:
    return {k: now[k] - before[k] for k in keys}


@pytest.mark.any_client
async def test_cancel_request_stops_generation(server: LanguageClient) -> None:
    _, msg_id, pending, before = await start_slow_request(server)
    server.cancel_request(types.CancelParams(id=msg_id))
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(pending, 10)
    stopped = before["stopped"] + 1
    s = await wait_for(server, lambda s: s["stopped"] == stopped, what="the model to stop")
    assert moved(s, before, "modelCalls") == {"modelCalls": 1}


@pytest.mark.any_client
async def test_newer_request_supersedes_older(server: LanguageClient) -> None:
    uri, _, older, before = await start_slow_request(server)
    newer = await server.text_document_inline_completion_async(
        inline_params(uri, end_of(SHAPES), AUTOMATIC)
    )
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(older, 10)
    assert newer is not None and newer.items  # the newer one got a real answer
    s = await stats(server)
    counts = moved(s, before, "stopped", "superseded", "modelCalls")
    assert counts == {"stopped": 1, "superseded": 1, "modelCalls": 2}


@pytest.mark.any_client
async def test_stale_version_is_dropped(server: LanguageClient) -> None:
    uri, _, pending, before = await start_slow_request(server)
    type_text(server, uri, 2, types.Position(0, 0), "# edited\n")
    with pytest.raises(JsonRpcException) as error:
        await asyncio.wait_for(pending, 10)
    assert error.value.code == types.LSPErrorCodes.ContentModified
    stopped = before["stopped"] + 1
    s = await wait_for(server, lambda s: s["stopped"] == stopped, what="the model to stop")
    assert moved(s, before, "stale") == {"stale": 1}
