"""The server object every feature shares: documents, model host, suggester, reviews, telemetry."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from importlib import metadata
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from .documents import DocumentStore
from .model_host import ModelHost
from .reviews import ReviewStore
from .suggestions import Suggester
from .telemetry import Telemetry

NAME = "entropy-complete"


def _version() -> str:
    try:
        return metadata.version(NAME)
    except metadata.PackageNotFoundError:
        return "0+unknown"


class EntropyServer(LanguageServer):
    """The LSP server plus the state its features share."""

    def __init__(self, telemetry: Telemetry | None = None) -> None:
        super().__init__(
            NAME, _version(), text_document_sync_kind=types.TextDocumentSyncKind.Incremental
        )
        self.docs = DocumentStore()
        self.models = ModelHost()
        self.telemetry = telemetry or Telemetry()
        self.suggester = Suggester(self.docs, self.models, self.telemetry)
        self.suggester.warn = self.message
        self.telemetry.warn = self.message
        self.reviews = ReviewStore()
        self.started = False  # `initialized` arrived: model loads may begin
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Runs ``work`` in the background, keeping a reference until it ends."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def message(self, text: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        """One window/showMessage, prefixed with the server's name, and the same in the log."""
        logging.getLogger(NAME).log(
            logging.ERROR if kind == types.MessageType.Error else logging.WARNING, "%s", text
        )
        self.window_show_message(types.ShowMessageParams(kind, f"{NAME}: {text}"))

    def publish_reviews(self, uri: str) -> None:
        """Sends the document's review diagnostics (an empty list clears them)."""
        doc = self.docs.get(uri)
        diagnostics = self.reviews.diagnostics(doc) if doc is not None else []
        version = doc.version if doc is not None else None
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )
