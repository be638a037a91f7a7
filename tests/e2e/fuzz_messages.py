"""A seeded generator of hostile LSP traffic: broken frames, garbage JSON, requests with bad
params, unknown methods and URIs, poisoned documents and bad edits. Each message says whether it
is a request the server must answer (a well-formed frame carrying a request with an id)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from rpc_client import frame

# Methods the server implements, with the params shape each takes.
POSITIONAL = ("textDocument/inlineCompletion", "textDocument/completion")
NOTIFICATIONS = (
    "textDocument/didOpen",
    "textDocument/didChange",
    "textDocument/didClose",
    "workspace/didChangeConfiguration",
    "$/cancelRequest",
    "$/setTrace",
    "initialized",
)
REQUESTS = (
    *POSITIONAL,
    "textDocument/codeAction",
    "workspace/executeCommand",
    "entropyComplete/stats",
    "completionItem/resolve",
    "textDocument/hover",  # not implemented: MethodNotFound
    "no/such/method",
    "$/unknownRequest",
)
ODD = (None, True, -1, 2**31, 2**53, -(2**63), 1.5, "7", "", [], {}, [1, 2], {"a": 1}, "\ud800")
TEXTS = (
    "",
    "\x00" * 64,
    "def f(x):\n    return \ud800",
    "a\r\nb\rc\n\x00\ud83d\ude00\ud800\udc00\udfff",
    "x = 1\n" * 50,
    "\u2028\u2029\ufeff\u200d" * 8,
)
LANGUAGES = ("python", "javascript", "brainfuck", "", "\x00", "python\ud800")


@dataclass(frozen=True, slots=True)
class Hostile:
    data: bytes
    request_id: int | None  # an id the server must answer (result or error), if any


class Generator:
    """``next()`` gives one hostile message; ids it expects answered count up from ``first_id``."""

    def __init__(self, seed: int, uris: list[str], first_id: int = 100_000) -> None:
        self.rng = random.Random(seed)
        self.uris = uris
        self.next_id = first_id
        self.versions = dict.fromkeys(uris, 1000)

    def _odd(self) -> Any:
        return self.rng.choice(ODD)

    def _uri(self) -> Any:
        r = self.rng.random()
        if r < 0.6:
            return self.rng.choice(self.uris)
        if r < 0.8:
            return f"file:///nowhere/{self.rng.randrange(10**6)}.py"
        return self.rng.choice(("", "not a uri", "file:///\x00", "untitled:\ud800", 42))

    def _position(self) -> Any:
        r = self.rng.random()
        if r < 0.5:
            return {"line": self.rng.randrange(60), "character": self.rng.randrange(80)}
        if r < 0.7:
            return {"line": self._odd(), "character": self._odd()}
        return self.rng.choice(("1:2", None, [], {"line": 1}, {"character": 2}))

    def _range(self) -> Any:
        if self.rng.random() < 0.8:
            return {"start": self._position(), "end": self._position()}
        return self._odd()

    def _params(self, method: str) -> Any:
        rng = self.rng
        if rng.random() < 0.1:
            return self._odd()
        uri = self._uri()
        if method in POSITIONAL or method == "textDocument/hover":
            ctx = {"triggerKind": rng.choice((1, 2, 0, 9, "x"))}
            return {"textDocument": {"uri": uri}, "position": self._position(), "context": ctx}
        if method == "textDocument/didOpen":
            item = {
                "uri": uri,
                "languageId": rng.choice(LANGUAGES),
                "version": rng.choice((1, -5, 2**40, "v")),
                "text": rng.choice(TEXTS),
            }
            return {"textDocument": item}
        if method == "textDocument/didChange":
            version = self.versions.get(uri, 0) + 1 if isinstance(uri, str) else 1
            if isinstance(uri, str) and uri in self.versions:
                self.versions[uri] = version
            change: dict[str, Any] = {"text": rng.choice(TEXTS)}
            if rng.random() < 0.7:
                change["range"] = self._range()
            return {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}
        if method == "textDocument/didClose":
            # Closing the documents the valid requests use would change their answers.
            return {"textDocument": {"uri": f"file:///nowhere/{rng.randrange(99)}.py"}}
        if method == "workspace/didChangeConfiguration":
            bad = {"entropyComplete": {"model": {"threads": self._odd()}, "nope": self._odd()}}
            return {"settings": rng.choice((bad, None, self._odd()))}
        if method == "$/cancelRequest":
            return {"id": rng.choice((self.next_id - 1, self._odd()))}
        if method == "workspace/executeCommand":
            cmd = rng.choice(("entropyComplete.accept", "entropyComplete.markReviewed", "x"))
            return {"command": cmd, "arguments": [self._odd(), {"uri": uri}]}
        if method == "textDocument/codeAction":
            ctx = {"diagnostics": [{"range": self._range(), "message": "m"}]}
            return {"textDocument": {"uri": uri}, "range": self._range(), "context": ctx}
        return {"x": self._odd()}

    def _message(self) -> tuple[dict[str, Any], int | None]:
        if self.rng.random() < 0.45:
            method = self.rng.choice(REQUESTS)
            self.next_id += 1
            msg = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
            msg["params"] = self._params(method)
            return msg, self.next_id
        method = self.rng.choice(NOTIFICATIONS)
        return {"jsonrpc": "2.0", "method": method, "params": self._params(method)}, None

    def next(self) -> Hostile:
        rng = self.rng
        r = rng.random()
        if r < 0.55:
            msg, msg_id = self._message()
            return Hostile(frame(msg), msg_id)
        if r < 0.62:  # a request object that is not a valid request: answered with id if any
            self.next_id += 1
            msg = rng.choice(
                (
                    {"jsonrpc": "2.0", "id": self.next_id, "method": 5},
                    {"jsonrpc": "2.0", "id": self.next_id},
                    {"jsonrpc": "1.0", "id": self.next_id, "method": "entropyComplete/stats"},
                    {"jsonrpc": "2.0", "id": self.next_id, "method": "x", "params": 3},
                )
            )
            # Without a method it may be a broken response: nothing to answer.
            return Hostile(frame(msg), self.next_id if "method" in msg else None)
        if r < 0.70:  # valid JSON that is not a message
            body = json.dumps(rng.choice(([], [1, {"id": 1}], 3, "s", None, {"id": None})))
            return Hostile(frame_raw(body.encode()), None)
        if r < 0.78:  # truncated body (the header promises more than comes)
            msg, _ = self._message()
            body = json.dumps(msg).encode()
            cut = rng.randrange(max(1, len(body)))
            return Hostile(b"Content-Length: %d\r\n\r\n" % len(body) + body[:cut], None)
        if r < 0.84:  # bad headers
            head = rng.choice(
                (
                    b"Content-Length: abc\r\n\r\n",
                    b"Content-Length: -5\r\n\r\n",
                    b"Content-Length: 100000000000\r\n\r\n",
                    b"Content-Length: 99999999999999999999999\r\n\r\n",
                    b"Content-Type: text/plain\r\n\r\n",
                    b"\r\n\r\n",
                    b"Content-Length 12\r\n\r\n",
                )
            )
            return Hostile(head + b'{"jsonrpc":"2.0"}', None)
        if r < 0.92:  # random bytes
            return Hostile(rng.randbytes(rng.randrange(1, 400)), None)
        if r < 0.96:  # a body that is not JSON
            return Hostile(frame_raw(rng.randbytes(rng.randrange(1, 200))), None)
        # responses to requests the server never sent
        reply = {"jsonrpc": "2.0", "id": rng.choice((7, "x", None)), "result": self._odd()}
        return Hostile(frame(reply), None)


def frame_raw(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body
