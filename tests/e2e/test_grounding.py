"""Workspace grounding end to end: the index is built at start-up with $/progress, a function of
a file that is not open is suggested by name at a call site in another file, and saves and
watched-file changes keep the index fresh."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

from e2e_helpers import (
    BASE_OPTIONS,
    DATA,
    INVOKED,
    end_of,
    inline_params,
    merge,
    plain,
    stats,
    wait_for,
)
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

WORKSPACE = DATA.parent / "workspace"  # app.py imports geometry.widgets and ends mid-name
INDEX = "entropyComplete/index"


async def start(lc: LanguageClient, root: Path) -> None:
    await lc.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(lc.spec),  # type: ignore[attr-defined]
            root_uri=root.as_uri(),
            initialization_options=merge(BASE_OPTIONS, {}),
        )
    )
    await wait_for(lc, lambda s: s["modelLoaded"], what="the model to load")
    await wait_for_index(lc, lambda st: st["files"] and not st["building"])


async def test_a_function_in_a_closed_file_is_suggested_by_name(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(WORKSPACE, root)
    await start(client, root)
    state = await wait_for_index(client, lambda st: True)
    assert state["files"] == 3 and state["definitions"] == 5 and not state["building"]
    reports = [
        r for token, rs in client.progress_reports.items() for r in rs if "index" in str(token)
    ]
    assert isinstance(reports[0], types.WorkDoneProgressBegin)
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    assert "3 files, 5 definitions" in (reports[-1].message or "")
    # The server asks to hear of files changed on disk where the client lets it register.
    caps = client_capabilities(client.spec).workspace
    dynamic = bool(caps and caps.did_change_watched_files.dynamic_registration)
    registered = client.registrations  # type: ignore[attr-defined]
    methods = [r.method for p in registered for r in p.registrations]
    assert methods == ([types.WORKSPACE_DID_CHANGE_WATCHED_FILES] if dynamic else [])

    # Only app.py is open; geometry/widgets.py, where the function lives, never is.
    text = (root / "app.py").read_text().rstrip("\n")
    uri = (root / "app.py").as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text))
    )
    answer = await client.text_document_inline_completion_async(
        inline_params(uri, end_of(text), INVOKED)
    )
    assert answer is not None and answer.items
    shown = [i.insert_text for i in answer.items]
    # `frob|` completes to the function's name and its arguments, from the closed file only
    # (tests/unit/test_retrieval.py: without grounding the model never writes the name).
    assert any(str(t).startswith("nicate_widget(data") for t in shown), shown
    s = await stats(client)
    assert s["workspaceGrounded"] == 1
    # Telemetry says the answer came from a grounded prompt (invoked: retrieved first).
    events = [json.loads(line) for line in Path(s["telemetryPath"]).read_text().splitlines()]
    grounding = {json.dumps(e["grounding"], sort_keys=True) for e in events if "grounding" in e}
    assert [json.loads(g)["used"] for g in grounding] == [True]
    assert all(json.loads(g)["retrieved"] and not json.loads(g)["changed"] for g in grounding)

    # A save re-reads the file: a new function is in the index at once.
    widgets = root / "geometry" / "widgets.py"
    widgets.write_text(widgets.read_text() + "\n\ndef polish_widget(data):\n    return data\n")
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(widgets.as_uri()))
    )
    state = await wait_for_index(client, lambda st: st["definitions"] == 6)
    # A file deleted on disk (a checkout) leaves the index through the file watcher.
    (root / "geometry" / "widgets.py").unlink()
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent(widgets.as_uri(), types.FileChangeType.Deleted)]
        )
    )
    state = await wait_for_index(client, lambda st: st["files"] == 2)
    assert state["definitions"] == 1 and state["updates"] >= 1  # app.py's main is left


async def wait_for_index(lc: LanguageClient, predicate) -> dict[str, Any]:
    """Polls the index's state (``entropyComplete/index``) until ``predicate`` holds (30 s)."""
    state: dict[str, Any] = {}
    for _ in range(1500):
        state = plain(await lc.protocol.send_request_async(INDEX, {}))
        if predicate(state):
            return state
        await asyncio.sleep(0.02)
    raise AssertionError(f"the index never reached the expected state: {state}")
