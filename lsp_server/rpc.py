"""The JSON-RPC edge: every request with an id gets a result or an error, and the LSP lifecycle
rules hold (nothing before ``initialize``, nothing after ``shutdown``).

pygls 2.1 answers nothing when a request's params do not fit its type (it raises out of its
reader and logs two tracebacks), refuses requests that omit ``params``, serves requests before
``initialize``, drops those after ``shutdown`` unanswered, and ends the process on ``exit``
(over TCP, for every client at once). This protocol class fixes those in its message intake.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import cattrs
from lsprotocol import types
from lsprotocol.types import ResponseErrorMessage
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcMethodNotFound,
    JsonRpcServerNotInitialized,
)
from pygls.protocol import (
    JsonRPCNotification,
    JsonRPCRequestMessage,
    JsonRPCResponseMessage,
    lsp_method,
)

from .protocol import EntropyProtocol

log = logging.getLogger(__name__)
# A JSON escape of a UTF-16 surrogate; a raw UTF-8 body cannot hold a lone one.
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Requests and notifications pygls handles itself, beside the registered features.
_ALWAYS = {types.CANCEL_REQUEST, types.EXIT}


@dataclass(frozen=True, slots=True)
class Invalid:
    """A message that could not be read as what it claims to be; answered if it is a request."""

    msg_id: int | str | None
    error: JsonRpcException


def scrub(value: Any) -> Any:
    """``value`` with every lone UTF-16 surrogate in its strings (keys too) replaced by U+FFFD."""
    if isinstance(value, str):
        return value if value.isascii() else _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    return value


def decode(body: bytes) -> Any:
    """A frame's JSON value, with client text made safe once, here at the edge.

    JSON lets a client send a lone surrogate ("\\ud800" in a document, a URI or a language id):
    Python keeps it, and the first encode downstream (tokenizer, tree-sitter, UTF-16 columns)
    raised, for that document and for every other one that took it as a neighbouring snippet.
    U+FFFD counts one unit in every position encoding, so positions stay the client's, and the
    same URI always maps to the same key. NUL and mixed line breaks stay as sent: they are
    ordinary characters downstream, and documents.py counts \\r\\n, \\r and \\n as one break
    each as LSP does (normalising a lone \\r would split our copy from the client's once it
    sends the \\n after it). Raises ValueError or RecursionError for a body that is not JSON.
    """
    value = json.loads(body)
    return scrub(value) if _ESCAPED_SURROGATE.search(body) else value


def _valid_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _problems(exc: Exception) -> str:
    """cattrs' validation errors as short 'what @ where' lines ($.params.position.line)."""
    if isinstance(exc, cattrs.BaseValidationError):
        return "; ".join(cattrs.transform_error(exc, path="$")[:3])
    return f"{type(exc).__name__}: {exc}"


class EdgeProtocol(EntropyProtocol):
    """The server's protocol (pygls' with the fixes in .protocol), whose intake never leaves a
    request unanswered."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.initialize_seen = False
        self.exit_code: int | None = None  # set by `exit`: the transport ends the session

    def structure_message(self, data: Any) -> Any:
        """The typed message for a decoded JSON value, or ``Invalid`` saying why not."""
        if not isinstance(data, dict):
            return Invalid(None, JsonRpcInvalidRequest("not a JSON-RPC message object"))
        has_id, msg_id, method = "id" in data, data.get("id"), data.get("method")
        if has_id and not _valid_id(msg_id):
            return Invalid(None, JsonRpcInvalidRequest("the id must be an integer or a string"))
        if data.get("jsonrpc") != "2.0":
            return Invalid(msg_id, JsonRpcInvalidRequest('"jsonrpc" must be "2.0"'))
        if "method" in data and not isinstance(method, str):
            return Invalid(msg_id, JsonRpcInvalidRequest('"method" must be a string'))
        if method is None and not ("result" in data or "error" in data):
            return Invalid(None, JsonRpcInvalidRequest("neither a request nor a response"))
        if method is not None and "params" not in data:
            data = {**data, "params": None}  # JSON-RPC lets a request leave params out
        try:
            if method is None:
                if "error" in data:
                    return self._converter.structure(data, ResponseErrorMessage)
                kind = msg_id is not None and self._result_types.pop(msg_id, None)
                kind = kind or JsonRPCResponseMessage
                return self._converter.structure(data, kind)
            fallback = JsonRPCRequestMessage if has_id else JsonRPCNotification
            return self._converter.structure(data, self.get_message_type(method) or fallback)
        except Exception as exc:
            error = JsonRpcInvalidParams(f"invalid params for {method}: {_problems(exc)}")
            return Invalid(msg_id if method is not None else None, error)

    def _known(self, method: str) -> bool:
        fm = self.fm
        return method in fm.builtin_features or method in fm.features or method in _ALWAYS

    def _refuse(self, msg_id: Any, error: JsonRpcException) -> None:
        if msg_id is not None:
            self._send_response(msg_id, None, error.to_response_error())

    def handle_message(self, message: Any) -> None:
        """Refuses what the lifecycle forbids or nobody handles, then lets pygls dispatch."""
        if isinstance(message, Invalid):
            log.debug("message refused: %s", message.error.message)
            self._refuse(message.msg_id, message.error)
            return
        method = getattr(message, "method", None)
        if method is None:  # a response to one of our requests
            super().handle_message(message)
            return
        msg_id = getattr(message, "id", None)
        if self._shutdown and method != types.EXIT:
            error: JsonRpcException = JsonRpcInvalidRequest(f"{method}: the server is shut down")
        elif not self.initialize_seen and method not in (types.INITIALIZE, types.EXIT):
            error = JsonRpcServerNotInitialized(f"{method}: initialize first")
        elif method == types.INITIALIZE and self.initialize_seen:
            error = JsonRpcInvalidRequest("initialize may be sent only once")
        elif not self._known(method):
            error = JsonRpcMethodNotFound(f"method not found: {method}")
        else:
            self.initialize_seen = self.initialize_seen or method == types.INITIALIZE
            super().handle_message(message)
            return
        log.debug("%s %s refused: %s", "request" if msg_id is not None else "note", method, error)
        self._refuse(msg_id, error)  # a notification is dropped

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        future = self._request_futures.pop(msg_id, None) if _valid_id(msg_id) else None
        if future is not None:  # an unknown or finished id is routine: the answer crossed it
            future.cancel()

    def _handle_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        if msg_id not in self._request_futures:
            log.debug("a response to no request of ours (id %r) ignored", msg_id)
            return
        super()._handle_response(msg_id, result, error)

    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args: Any) -> Generator[Any, Any, None]:
        """pygls' shutdown over a copy of the pending futures: cancelling one runs callbacks
        that remove it from the dict (RuntimeError: dictionary changed size during iteration,
        answered as InternalError, once notifications pop their own futures)."""
        if (user_handler := self.fm.features.get(types.SHUTDOWN)) is not None:
            yield user_handler, args, None
        current = self.msg_id  # not this request's own future
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current and not future.done():
                future.cancel()
        self._shutdown = True

    @lsp_method(types.EXIT)
    def lsp_exit(self, *args: Any) -> Generator[Any, Any, None]:
        """Ends this session (pygls ends the process, which over TCP ends every client's)."""
        self.exit_code = 0 if self._shutdown else 1
        yield from ()
