"""The server object every feature shares: documents, model host, suggester, reviews, telemetry."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Coroutine
from typing import Any

from lsprotocol import types
from pygls.exceptions import FeatureRequestError
from pygls.lsp.server import LanguageServer

from . import installed_version
from .documents import DocumentStore
from .model_host import ModelHost
from .reviews import ReviewStore
from .rpc import EdgeProtocol
from .speculation import Speculator
from .suggestions import Suggester
from .telemetry import Telemetry
from .warming import PrefixWarmer

NAME = "entropy-complete"
MAX_PROBLEMS = 20
_GOT_VALUE = re.compile(r", got .*?(?= @ | \| |$)")  # "expected an integer, got '7' @ ..."


def _version() -> str:
    return installed_version(NAME) or "0+unknown"


class EntropyServer(LanguageServer):
    """The LSP server plus the state its features share."""

    def __init__(self, telemetry: Telemetry | None = None, models: ModelHost | None = None) -> None:
        super().__init__(
            NAME,
            _version(),
            protocol_cls=EdgeProtocol,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.docs = DocumentStore()
        self.models = models or ModelHost()
        self.telemetry = telemetry or Telemetry()
        self.suggester = Suggester(self.docs, self.models, self.telemetry)
        self.suggester.warn = self.message
        self.warmer = PrefixWarmer(self.suggester)
        self.speculator = Speculator(self.suggester)
        self.telemetry.warn = self.message
        self.reviews = ReviewStore()
        self.started = False  # `initialized` arrived: model loads may begin
        self._tasks: set[asyncio.Task[None]] = set()
        # Background work started after `initialized` (features add theirs: the index build).
        self.startup: list[Callable[[EntropyServer], Coroutine[Any, Any, None]]] = []
        self._shown: set[str] = set()  # problems already shown: one popup each

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Runs ``work`` in the background, keeping a reference until it ends."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def message(
        self, text: str, kind: types.MessageType = types.MessageType.Warning, key: str = ""
    ) -> None:
        """One window/showMessage, prefixed with the server's name, and the same in the log.

        Once per distinct problem (``key``; by default the text without the values it quotes,
        so the same bad setting with another wrong value is no new problem): a client that
        repeats a bad setting or request must not raise a storm of popups. Repeats, and
        problems past the first MAX_PROBLEMS, go to the log only.
        """
        key = key or _GOT_VALUE.sub("", text)
        repeat = key in self._shown or len(self._shown) >= MAX_PROBLEMS
        level = logging.ERROR if kind == types.MessageType.Error else logging.WARNING
        logging.getLogger(NAME).log(logging.DEBUG if repeat else level, "%s", text)
        if not repeat:
            self._shown.add(key)
            self.window_show_message(types.ShowMessageParams(kind, f"{NAME}: {text}"))

    def report_server_error(self, error: Exception, source: Any) -> None:
        """A failed notification or send: one message per kind (pygls shows every one)."""
        if source is FeatureRequestError:
            return  # the request's own error response carries it
        detail = getattr(error, "data", None) or {}
        if (trace := detail.get("traceback") if isinstance(detail, dict) else None) and (
            source.__name__ not in self._shown
        ):
            logging.getLogger(NAME).error("%s:\n%s", error, "".join(trace))
        self.message(
            f"internal error: {error} (details in the log)",
            types.MessageType.Error,
            key=source.__name__,
        )

    def release(self) -> None:
        """Ends the session's work: generations, the model thread, the telemetry file."""
        self.speculator.stop_all()
        self.suggester.stop_all()
        self.suggester.context.workspace.shutdown()
        self.models.shutdown()
        self.telemetry.close()

    def publish_reviews(self, uri: str) -> None:
        """Sends the document's review diagnostics (an empty list clears them)."""
        doc = self.docs.get(uri)
        diagnostics = self.reviews.diagnostics(doc) if doc is not None else []
        version = doc.version if doc is not None else None
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )
