"""Settings end to end: bad options fall back to the defaults with one message; a model that
cannot load gives one error and the server keeps answering; pushed settings apply."""

from __future__ import annotations

import asyncio

import pytest
from e2e_helpers import (
    DATA,
    INVOKED,
    SHAPES,
    end_of,
    initialize,
    inline_params,
    open_doc,
    stats,
    wait_for,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_server.config import Options, to_wire


@pytest.mark.any_client
async def test_bad_options_fall_back_with_one_message(client: LanguageClient) -> None:
    bad = {
        "automatic": {"candidates": 0, "temperature": "hot"},
        "telemetry": {"enabled": "no"},
        "colour": "blue",
    }
    await initialize(client, bad)
    (message,) = client.messages
    assert message.type == types.MessageType.Warning
    text = message.message
    assert text.startswith("entropy-complete: invalid initializationOptions, using the defaults")
    for problem in ("automatic.temperature", "telemetry.enabled", "colour"):
        assert problem in text
    s = await stats(client)
    assert s["options"] == to_wire(Options())  # every option at its default
    # ... and the server works with them.
    uri = open_doc(client, "shapes.py", SHAPES)
    result = await client.text_document_inline_completion_async(
        inline_params(uri, end_of(SHAPES), INVOKED)
    )
    assert result is not None and result.items


@pytest.mark.any_client
async def test_model_that_fails_to_load_keeps_the_server_up(client: LanguageClient) -> None:
    await initialize(client, {"model": {"path": str(DATA / "no-such-model")}}, wait_model=False)
    await asyncio.wait_for(_until_message(client), 30)
    (message,) = client.messages
    assert message.type == types.MessageType.Error
    assert "cannot load the model" in message.message and "no-such-model" in message.message
    uri = open_doc(client, "shapes.py", SHAPES)
    result = await client.text_document_inline_completion_async(
        inline_params(uri, end_of(SHAPES), INVOKED)
    )
    assert result is None  # no model: no suggestions, no error
    s = await stats(client)
    assert not s["modelLoaded"] and "not found" in s["modelError"]

    # Fixing the setting loads the shipped model without a restart.
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"entropyComplete": {"model": {"threads": 1}}})
    )
    await wait_for(client, lambda s: s["modelLoaded"], what="the shipped model to load")
    result = await client.text_document_inline_completion_async(
        inline_params(uri, end_of(SHAPES), INVOKED)
    )
    assert result is not None and result.items
    assert len(client.messages) == 1


async def test_pushed_settings_apply(client: LanguageClient) -> None:
    await initialize(client)
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"entropyComplete": {"invoked": {"show": 2}, "model": {"threads": 1}}}
        )
    )
    await wait_for(client, lambda s: s["options"]["invoked"]["show"] == 2, what="settings")
    uri = open_doc(client, "shapes.py", SHAPES)
    result = await client.text_document_inline_completion_async(
        inline_params(uri, end_of(SHAPES), INVOKED)
    )
    assert result is not None and 1 <= len(result.items) <= 2
    assert client.messages == []


async def _until_message(client: LanguageClient) -> None:
    while not client.messages:
        await asyncio.sleep(0.02)


@pytest.mark.any_client
async def test_unreadable_rules_and_confidence_files_fall_back(client: LanguageClient) -> None:
    options = {
        "review": {"extraRules": str(DATA / "missing-rules.json")},
        "model": {"confidenceModel": str(DATA / "missing-confidence.json")},
    }
    await initialize(client, options, wait_model=False)
    (message,) = client.messages
    assert message.type == types.MessageType.Warning
    assert "extra rules not loaded, using the shipped rules" in message.message
    assert "missing-rules.json" in message.message
    assert "confidence model not loaded, using the model's own" in message.message
