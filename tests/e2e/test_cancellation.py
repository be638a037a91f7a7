"""Cancellation end to end: $/cancelRequest, a superseding request, and a stale document version
each stop the generation mid-way (CTranslate2's step callback), not just the response."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from e2e_helpers import (
    AUTOMATIC,
    INVOKED,
    SHAPES,
    end_of,
    initialize,
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


async def start_slow_request(client: LanguageClient) -> tuple[str, str, asyncio.Future]:
    await initialize(client, SLOW)
    uri = open_doc(client, "shapes.py", SHAPES)
    msg_id = f"slow-{uuid.uuid4().hex[:8]}"
    before = (await stats(client))["modelCalls"]
    pending = asyncio.ensure_future(
        client.protocol.send_request_async(
            types.TEXT_DOCUMENT_INLINE_COMPLETION,
            inline_params(uri, end_of(SHAPES), INVOKED),
            msg_id=msg_id,
        )
    )
    await wait_for(client, lambda s: s["modelCalls"] > before, what="generation to start")
    return uri, msg_id, pending


@pytest.mark.any_client
async def test_cancel_request_stops_generation(client: LanguageClient) -> None:
    _, msg_id, pending = await start_slow_request(client)
    client.cancel_request(types.CancelParams(id=msg_id))
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(pending, 10)
    s = await wait_for(client, lambda s: s["stopped"] == 1, what="the model to stop")
    assert s["modelCalls"] == 1


@pytest.mark.any_client
async def test_newer_request_supersedes_older(client: LanguageClient) -> None:
    uri, _, older = await start_slow_request(client)
    newer = await client.text_document_inline_completion_async(
        inline_params(uri, end_of(SHAPES), AUTOMATIC)
    )
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(older, 10)
    assert newer is not None and newer.items  # the newer one got a real answer
    s = await stats(client)
    assert s["stopped"] == 1 and s["superseded"] == 1 and s["modelCalls"] == 2


@pytest.mark.any_client
async def test_stale_version_is_dropped(client: LanguageClient) -> None:
    uri, _, pending = await start_slow_request(client)
    type_text(client, uri, 2, types.Position(0, 0), "# edited\n")
    with pytest.raises(JsonRpcException) as error:
        await asyncio.wait_for(pending, 10)
    assert error.value.code == types.LSPErrorCodes.ContentModified
    s = await wait_for(client, lambda s: s["stopped"] == 1, what="the model to stop")
    assert s["stale"] == 1
