"""The JSON-RPC protocol under the server: pygls' LanguageServerProtocol with two fixes for
long sessions and huge files.

1. pygls 2.1 leaks one Future per notification. ``JsonRPCProtocol._handle_notification`` runs
   the handler through ``_execute_handler`` under a fresh uuid4 ``msg_id``; for coroutine,
   thread and generator handlers ``_execute_handler`` stores the Future in
   ``_request_futures[msg_id]``, and only ``_send_handler_result`` (the callback of requests)
   pops it. Notifications get ``_check_handler_result``, which does not, so every didOpen,
   didChange, didClose, didSave and async notification (the builtin text-sync handlers are
   generators) leaves its finished Future, its result and the uuid string behind: about 2 KB
   each, 99 MB after 50,000 edits. Here the notification callback pops the entry first.
2. pygls keeps its own copy of every open document in its workspace and applies each edit to it
   by splitting the whole text into lines (about 160 ms per keystroke on a 10 MB file, and the
   document's memory twice). The server keeps its documents in ``documents.DocumentStore`` and
   never reads pygls' copies, so the text-sync builtins here only hand on to our handlers.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from concurrent.futures import Future
from typing import Any

from lsprotocol import types
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

Handler = tuple[Callable[..., Any], tuple[Any, ...], None]


class EntropyProtocol(LanguageServerProtocol):
    """LanguageServerProtocol without the per-notification leak or the second document copy."""

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Any,
        callback: Callable[[Future[Any]], None],
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        if callback == self._check_handler_result:  # a notification: nobody pops its Future

            def done(future: Future[Any]) -> None:
                self._request_futures.pop(msg_id, None)
                self._check_handler_result(future)

            callback = done
        super()._execute_handler(msg_id, handler, callback, args, kwargs)

    def _user(self, method: str, params: Any) -> Generator[Handler, Any, None]:
        if (user_handler := self.fm.features.get(method)) is not None:
            yield user_handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(
        self, params: types.DidOpenTextDocumentParams
    ) -> Generator[Handler, Any, None]:
        """Hands on to the server's didOpen (no copy in pygls' workspace)."""
        yield from self._user(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Handler, Any, None]:
        """Hands on to the server's didChange (pygls' copy would re-split the whole text)."""
        yield from self._user(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(
        self, params: types.DidCloseTextDocumentParams
    ) -> Generator[Handler, Any, None]:
        """Hands on to the server's didClose."""
        yield from self._user(types.TEXT_DOCUMENT_DID_CLOSE, params)
