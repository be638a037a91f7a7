"""This implements textDocument/didOpen, didChange and didClose: the document snapshots, and what
an edit invalidates (the in-flight generation) or moves (review marks)."""

from __future__ import annotations

from lsprotocol import types

from ..state import EntropyServer


def register(server: EntropyServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: EntropyServer, params: types.DidOpenTextDocumentParams) -> None:
        """Stores the first snapshot."""
        ls.docs.open(params.text_document)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: EntropyServer, params: types.DidChangeTextDocumentParams) -> None:
        """Applies the changes; a generation for the old text is stopped (its answer is stale).
        Typing starts the automatic request the editor will send (speculation.py), and typing
        that moved to another line starts computing that line's prompt prefix at once."""
        uri = params.text_document.uri
        edits = ls.docs.change(params)
        ls.suggester.stop(uri, "stale")
        if ls.reviews.moved(uri, edits):
            ls.publish_reviews(uri)
        if (at := ls.warmer.typed_at(uri, edits)) is None:
            ls.speculator.forget(uri)
            return
        if ls.warmer.moved(uri, at):
            ls.spawn(ls.warmer.warm(uri, at))  # the lines above the new line, before asked
        ls.speculator.start(uri, at)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: EntropyServer, params: types.DidCloseTextDocumentParams) -> None:
        """Forgets the document, its generation and its review marks."""
        uri = params.text_document.uri
        ls.suggester.closed(uri)
        ls.warmer.forget(uri)
        ls.speculator.closed(uri)
        if ls.reviews.drop(uri):
            ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))
        ls.docs.close(uri)
