"""The LSP server with `model.backend: openai` against a real llama.cpp server: ranked suggestions
with entropy, flags and confidence; cancellation closes the stream and the server stops
generating; every fault gives one clear message and the server keeps answering."""

from __future__ import annotations

import asyncio
import os
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from conftest import API_KEY, API_KEY_ENV, LlamaServer, free_port
from e2e_helpers import (
    INVOKED,
    SERVER,
    answer_registrations,
    end_of,
    initialize,
    inline_params,
    open_doc,
    stats,
)
from fault_proxy import FaultProxy
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled
from pytest_lsp import ClientServerConfig, LanguageClient

# The cursor inside auto-closed parentheses: the model's argument completes an os.system call.
RISKY = "import os\n\n\ndef run(cmd):\n    os.system("
RISKY_DOC = RISKY + ")\n"
SHELL = "import os\n\n\ndef clean(path):\n    os."


def remote(url: str, **more: Any) -> dict[str, Any]:
    return {"model": {"backend": "openai", "url": url, "apiKeyEnv": API_KEY_ENV, **more}}


@pytest_asyncio.fixture
async def lsp(llama_server: LlamaServer, tmp_path) -> AsyncIterator[LanguageClient]:
    env = {
        **os.environ,
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "ENTROPY_TEST_WRONG_KEY": "not-the-key",
    }
    lc = await ClientServerConfig(server_command=SERVER, server_env=env).start()
    assert isinstance(lc, LanguageClient)
    lc.spec = "visual_studio_code"  # type: ignore[attr-defined]
    answer_registrations(lc)
    yield lc
    await lc.shutdown_session()
    await lc.stop()


async def ask(lc: LanguageClient, uri: str, before: str) -> list[types.InlineCompletionItem]:
    """Inline completions with the cursor after ``before``."""
    got = await lc.text_document_inline_completion_async(
        inline_params(uri, end_of(before), INVOKED)
    )
    if got is None:
        return []
    return list(got.items if isinstance(got, types.InlineCompletionList) else got)


async def switch(lc: LanguageClient, options: dict[str, Any]) -> None:
    """Changes the settings and waits until the new engine is in place."""
    before = (await stats(lc))["modelId"]
    lc.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"entropyComplete": options})
    )
    deadline = time.monotonic() + 20
    while (s := await stats(lc))["modelId"] == before or not s["modelLoaded"]:
        assert time.monotonic() < deadline, f"engine not replaced: {s}"
        await asyncio.sleep(0.05)


async def test_ranked_suggestions_with_entropy_flags_confidence(
    lsp: LanguageClient, llama_server: LlamaServer, tmp_path: Path
) -> None:
    await initialize(lsp, remote(llama_server.url))
    s = await stats(lsp)
    assert s["modelId"].startswith("remote-") and s["modelError"] is None
    uri = open_doc(lsp, "risky.py", RISKY_DOC)
    items = await ask(lsp, uri, RISKY)
    assert items, "the remote model suggested nothing"
    args = [i.command.arguments[0] for i in items if i.command and i.command.arguments]
    assert all(0.0 <= a["confidence"] <= 1.0 for a in args)
    assert max(a["confidence"] for a in args) > 0.0
    flagged = [a for a in args if a["flags"]]
    assert flagged, f"expected a review flag on os.system({[a['text'] for a in args]})"
    flag = flagged[0]["flags"][0]
    assert flag["rule"] == "py.shell-command" and flag["entropy"] >= 0.0
    popup = await lsp.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=end_of(RISKY)
        )
    )  # the same ranking, from the cache, with each item's entropy in its documentation
    assert isinstance(popup, types.CompletionList) and popup.items
    docs = [
        i.documentation.value
        for i in popup.items
        if isinstance(i.documentation, types.MarkupContent)
    ]
    entropies = [float(re.search(r"mean entropy ([0-9.]+) nats", d).group(1)) for d in docs]  # type: ignore[union-attr]
    assert len(entropies) == len(popup.items) and max(entropies) > 0.0
    written = [f.read_text() for f in (tmp_path / "state").rglob("*") if f.is_file()]
    assert written and not any(API_KEY in text for text in written)  # telemetry has no key
    assert lsp.messages == []


async def test_cancel_closes_the_stream(lsp: LanguageClient, llama_server: LlamaServer) -> None:
    slow = {"invoked": {"candidates": 2, "maxTokens": 400, "temperature": 1.5, "mode": "block"}}
    await initialize(lsp, {**remote(llama_server.url), **slow})
    uri = open_doc(lsp, "shell.py", SHELL)
    said = llama_server.log_text().count("Disconnected from client")
    msg_id = f"slow-{uuid.uuid4().hex[:8]}"
    pending = asyncio.ensure_future(
        lsp.protocol.send_request_async(
            types.TEXT_DOCUMENT_INLINE_COMPLETION,
            inline_params(uri, end_of(SHELL), INVOKED),
            msg_id=msg_id,
        )
    )
    await asyncio.sleep(0.5)  # the server is generating (400 tokens take seconds)
    lsp.cancel_request(types.CancelParams(id=msg_id))
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(pending, 10)
    deadline = time.monotonic() + 10
    while llama_server.log_text().count("Disconnected from client") <= said:
        assert time.monotonic() < deadline, "llama.cpp never saw the stream close"
        await asyncio.sleep(0.05)
    s = await stats(lsp)
    assert s["stopped"] >= 1


FAULTS = [
    ("down", "cannot reach"),
    ("key", "HTTP 401"),
    ("timeout", "did not answer within 0.5 s"),
    ("http503", "HTTP 503: model overloaded"),
    ("malformed", "malformed JSON"),
    ("nologprobs", "sent no log-probs"),
]


async def test_faults_give_one_message_and_the_server_keeps_answering(
    lsp: LanguageClient, llama_server: LlamaServer
) -> None:
    proxy = FaultProxy(llama_server.url)
    try:
        await initialize(lsp, remote(llama_server.url))
        uri = open_doc(lsp, "risky.py", RISKY_DOC)
        urls = {
            "down": (f"http://127.0.0.1:{free_port()}", {}),
            "key": (llama_server.url, {"apiKeyEnv": "ENTROPY_TEST_WRONG_KEY"}),
            "timeout": (proxy.url("slow"), {"timeout": 0.5}),
        }
        for fault, expected in FAULTS:
            url, more = urls[fault] if fault in urls else (proxy.url(fault), {})
            await switch(lsp, remote(url, **more))
            seen = len(lsp.messages)
            for _ in range(2):  # the same failure twice: said once
                assert await ask(lsp, uri, RISKY) == []
            new = [m.message for m in lsp.messages[seen:]]
            assert len(new) == 1 and expected in new[0], (fault, new)
        await switch(lsp, remote(proxy.url("pass")))
        assert await ask(lsp, uri, RISKY), "the server stopped answering after the faults"
    finally:
        proxy.close()
