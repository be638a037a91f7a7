"""Builds the language server: the shared state, and one module per LSP feature wired onto it."""

from __future__ import annotations

import logging

from pygls.exceptions import JsonRpcException, JsonRpcInternalError

from .features import (
    commands,
    completion,
    inline_completion,
    lifecycle,
    review,
    text_sync,
    workspace,
)
from .model_host import ModelHost
from .state import EntropyServer
from .telemetry import Telemetry

# Registration order: lifecycle first (options and the model load), then the features.
FEATURES = (lifecycle, text_sync, inline_completion, completion, commands, review, workspace)


class _QuietExpected(logging.Filter):
    """Drops tracebacks of routine events: pygls logs one for every error response (a stale
    result or a bad position is not a bug; an internal error is), and an `exit` handler's
    SystemExit(0)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, SystemExit):
            return exc.code not in (0, None)
        return not isinstance(exc, JsonRpcException) or isinstance(exc, JsonRpcInternalError)


_QUIET = _QuietExpected()  # one instance: adding it again for every TCP client is a no-op


def build_server(
    telemetry: Telemetry | None = None, models: ModelHost | None = None
) -> EntropyServer:
    """A server with every feature registered (``models``: a host sharing loaded engines)."""
    server = EntropyServer(telemetry, models)
    for feature in FEATURES:
        feature.register(server)
    for name in ("pygls.protocol.json_rpc", "asyncio"):
        logging.getLogger(name).addFilter(_QUIET)
    return server
