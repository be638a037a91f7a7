"""The review flow end to end: a flagged accept publishes a Warning on the inserted code, the
"Mark as reviewed" code action clears it, unflagged accepts publish nothing."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from e2e_helpers import initialize, open_doc, plain
from lsprotocol import types
from pytest_lsp import LanguageClient

BEFORE = "import subprocess\n\n\ndef run(cmd):\n    return "
INSERTED = "subprocess.run(cmd, shell=True)"
FLAG = {
    "rule": "py.subprocess-shell",
    "cwe": "CWE-78",
    "message": "call to subprocess with shell=True",
    "start": 0,
    "end": len(INSERTED),
    "entropy": 2.3,
    "reviewRequired": True,
}


def accept_args(uri: str, flags: list[dict]) -> list[dict]:
    """What the accept command of an item inserted at the end of BEFORE carries."""
    return [
        {
            "uri": uri,
            "id": "test-0",
            "position": {"line": 4, "character": len("    return ")},
            "text": INSERTED,
            "confidence": 0.31,
            "flags": flags,
        }
    ]


@pytest.mark.any_client  # diagnostics and commands do not read the client's capabilities
async def test_flagged_accept_then_mark_as_reviewed(client: LanguageClient) -> None:
    await initialize(client, wait_model=False)  # accepting needs no model
    uri = open_doc(client, "review_me.py", BEFORE + INSERTED + "\n")

    marked = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="entropyComplete.accept", arguments=accept_args(uri, [FLAG])
        )
    )
    assert marked == 1
    await _until(lambda: client.diagnostics.get(uri))
    (diag,) = client.diagnostics[uri]
    assert diag.severity == types.DiagnosticSeverity.Warning
    assert diag.code == "py.subprocess-shell" and diag.source == "entropy-complete"
    assert diag.message.startswith("uncertain call to subprocess with shell=True — review")
    assert "CWE-78" in diag.message
    start = len("    return ")
    assert diag.range == types.Range(
        types.Position(4, start), types.Position(4, start + len(INSERTED))
    )

    # A line added above moves the diagnostic along with the code.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(1, 0), types.Position(1, 0)),
                    text="import os\n",
                )
            ],
        )
    )
    await _until(
        lambda: client.diagnostics[uri] and client.diagnostics[uri][0].range.start.line == 5
    )

    actions = await raw_request(
        client,
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=client.diagnostics[uri][0].range,
            context=types.CodeActionContext(diagnostics=list(client.diagnostics[uri])),
        ),
    )
    (action,) = actions
    assert action["title"] == "Mark as reviewed" and action["kind"] == "quickfix"
    assert action["diagnostics"][0]["code"] == "py.subprocess-shell"
    command = action["command"]
    done = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command["command"], arguments=command["arguments"])
    )
    assert done is True
    await _until(lambda: len(client.diagnostics[uri]) == 0)


@pytest.mark.any_client  # diagnostics and commands do not read the client's capabilities
async def test_unflagged_accept_publishes_nothing(client: LanguageClient) -> None:
    await initialize(client, wait_model=False)
    uri = open_doc(client, "review_me.py", BEFORE + INSERTED + "\n")
    annotated = {**FLAG, "entropy": 0.2, "reviewRequired": False}  # known API, model was sure
    for flags in ([], [annotated]):
        marked = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="entropyComplete.accept", arguments=accept_args(uri, flags)
            )
        )
        assert marked == 0
    # Diagnostics would have been sent before the command's response.
    assert uri not in client.diagnostics


async def raw_request(client: LanguageClient, method: str, params: object) -> object:
    """A request whose result stays JSON: lsprotocol 2025's client-side hook reads any
    CodeAction that has a `command` as a bare Command, so the typed path would mangle it."""
    msg_id = f"raw-{uuid.uuid4().hex[:8]}"
    future = client.protocol.send_request(method, params, msg_id=msg_id)
    client.protocol._result_types[msg_id] = None  # no typed structuring for this response
    return plain(await asyncio.wrap_future(future))


async def _until(condition, timeout: float = 10.0) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)
