"""This implements the workspace index's life: its background build at start-up (reported as
$/progress), textDocument/didSave and workspace/didChangeWatchedFiles to keep it fresh, and
entropyComplete/index to see its state."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from ..state import EntropyServer

WATCH_ID = "entropy-complete/watch-sources"
INDEX = "entropyComplete/index"


def _root(ls: EntropyServer) -> str | None:
    """The workspace folder: the first of ``workspaceFolders``, else ``rootUri``/``rootPath``."""
    for folder in ls.workspace.folders.values():
        return to_fs_path(folder.uri)
    return ls.workspace.root_path


async def _watch(ls: EntropyServer) -> None:
    """Asks the client to report changes to files on disk (what the editor did not save)."""
    caps = ls.client_capabilities.workspace
    watched = caps.did_change_watched_files if caps else None
    if not (watched and watched.dynamic_registration):
        return
    options = types.DidChangeWatchedFilesRegistrationOptions(
        watchers=[types.FileSystemWatcher(glob_pattern="**/*")]
    )
    registration = types.Registration(
        WATCH_ID, types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options
    )
    try:
        await ls.client_register_capability_async(types.RegistrationParams([registration]))
    except Exception:  # a client that refuses still gets saves
        return


async def index_workspace(ls: EntropyServer) -> None:
    """Builds the workspace index in the background with $/progress (start-up hook)."""
    options = ls.suggester.options.grounding
    root = _root(ls)
    if not options.workspace_index or not root:
        return
    ls.spawn(_watch(ls))  # never waited for: a client may leave it unanswered
    token: str | None = None
    window = ls.client_capabilities.window
    if window and window.work_done_progress:
        token = f"entropy-complete/index/{uuid.uuid4().hex[:8]}"
        try:
            await ls.work_done_progress.create_async(token)
            ls.work_done_progress.begin(
                token,
                types.WorkDoneProgressBegin(
                    title="entropy-complete", message="indexing the workspace", percentage=0
                ),
            )
        except Exception:  # a client that refuses progress still gets the index
            token = None
    loop = asyncio.get_running_loop()

    def progress(done: int, total: int) -> None:  # on the index thread
        if token:
            report = types.WorkDoneProgressReport(
                message=f"{done}/{total} files", percentage=100 * done // max(1, total)
            )
            loop.call_soon_threadsafe(ls.work_done_progress.report, token, report)

    stats = await ls.suggester.context.workspace.build(root, options, progress)
    if token:
        done = f"workspace indexed: {stats.files} files, {stats.definitions} definitions"
        if stats.over_cap:
            done += f" ({stats.over_cap} files over grounding.indexMegabytes left out)"
        ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=done))


def register(server: EntropyServer) -> None:
    server.startup.append(index_workspace)

    @server.feature(INDEX)
    def index_state(ls: EntropyServer, params: Any) -> dict[str, Any]:
        """The index's size and state (troubleshooting, and the tests)."""
        host = ls.suggester.context.workspace
        index = host.index
        st = index.stats() if index is not None else None
        return {
            "root": str(index.root) if index is not None else None,
            "building": host.building,
            "files": st.files if st else 0,
            "definitions": st.definitions if st else 0,
            "bytes": st.bytes if st else 0,
            "overCap": st.over_cap if st else 0,
            "buildSeconds": host.stats.seconds if host.stats else None,
            "updates": host.updates,
        }

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: EntropyServer, params: types.DidSaveTextDocumentParams) -> None:
        """Re-reads the saved file into the index (off the event loop)."""
        path = to_fs_path(params.text_document.uri)
        if path:
            await ls.suggester.context.workspace.changed([path], [])

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(
        ls: EntropyServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        """Files created, changed or deleted on disk (a checkout, a formatter, another tool)."""
        paths: list[str] = []
        deleted: list[str] = []
        for change in params.changes:
            path = to_fs_path(change.uri)
            if path:
                (deleted if change.type == types.FileChangeType.Deleted else paths).append(path)
        await ls.suggester.context.workspace.changed(paths, deleted)
