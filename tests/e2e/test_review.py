"""The review flow end to end: a flagged accept publishes a Warning on the inserted code, the
"Mark as reviewed" code action clears it, unflagged accepts publish nothing. One server serves the
module (conftest's ``server``); each test reviews a document of its own."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from e2e_helpers import open_doc, plain
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
pytestmark = pytest.mark.asyncio(loop_scope="module")


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
async def test_flagged_accept_then_mark_as_reviewed(server: LanguageClient) -> None:
    uri = open_doc(server, "review_me.py", BEFORE + INSERTED + "\n")

    marked = await server.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="entropyComplete.accept", arguments=accept_args(uri, [FLAG])
        )
    )
    assert marked == 1
    await _until(lambda: server.diagnostics.get(uri))
    (diag,) = server.diagnostics[uri]
    assert diag.severity == types.DiagnosticSeverity.Warning
    assert diag.code == "py.subprocess-shell" and diag.source == "entropy-complete"
    assert diag.message.startswith("uncertain call to subprocess with shell=True — review")
    assert "CWE-78" in diag.message
    start = len("    return ")
    assert diag.range == types.Range(
        types.Position(4, start), types.Position(4, start + len(INSERTED))
    )

    # A line added above moves the diagnostic along with the code.
    server.text_document_did_change(
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
        lambda: server.diagnostics[uri] and server.diagnostics[uri][0].range.start.line == 5
    )

    actions = await raw_request(
        server,
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=server.diagnostics[uri][0].range,
            context=types.CodeActionContext(diagnostics=list(server.diagnostics[uri])),
        ),
    )
    (action,) = actions
    assert action["title"] == "Mark as reviewed" and action["kind"] == "quickfix"
    assert action["diagnostics"][0]["code"] == "py.subprocess-shell"
    command = action["command"]
    done = await server.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command["command"], arguments=command["arguments"])
    )
    assert done is True
    await _until(lambda: len(server.diagnostics[uri]) == 0)


@pytest.mark.any_client  # diagnostics and commands do not read the client's capabilities
async def test_unflagged_accept_publishes_nothing(server: LanguageClient) -> None:
    uri = open_doc(server, "review_unflagged.py", BEFORE + INSERTED + "\n")
    annotated = {**FLAG, "entropy": 0.2, "reviewRequired": False}  # known API, model was sure
    for flags in ([], [annotated]):
        marked = await server.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="entropyComplete.accept", arguments=accept_args(uri, flags)
            )
        )
        assert marked == 0
    # Diagnostics would have been sent before the command's response.
    assert uri not in server.diagnostics


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
