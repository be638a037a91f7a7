"""Helpers for the end-to-end tests: initialise, poll the server's counters, edit documents."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

DATA = Path(__file__).resolve().parent.parent / "data" / "lsp"
SERVER = [sys.executable, "-m", "lsp_server", "serve"]
CLIENTS = ["neovim", "visual_studio_code"]
# The document most tests complete in: shapes.py, cursor after its last `return `.
SHAPES = (DATA / "shapes.py").read_text().rstrip("\n") + " "
# One CTranslate2 thread: the machine has few cores and the tests run beside other work.
BASE_OPTIONS: dict[str, Any] = {"model": {"threads": 1}}


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = merge(out[key], value) if both else value
    return out


def answer_registrations(lc: LanguageClient) -> None:
    """Answers client/registerCapability as editors do (the server registers a file watcher
    for the workspace index, #15); what was registered lands in ``lc.registrations``."""
    lc.registrations = []  # type: ignore[attr-defined]

    @lc.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        lc.registrations.append(params)  # type: ignore[attr-defined]


async def initialize(
    lc: LanguageClient,
    options: dict[str, Any] | None = None,
    *,
    wait_model: bool = True,
    experimental: dict[str, Any] | None = None,
) -> types.InitializeResult:
    """initialize + initialized with the client's recorded capabilities (plus ``experimental``
    ones, as our Neovim config adds) and ``options``."""
    merged = merge(BASE_OPTIONS, options or {})
    capabilities = client_capabilities(lc.spec)  # type: ignore[attr-defined]
    if experimental is not None:
        capabilities.experimental = experimental
    result = await lc.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=DATA.as_uri(),
            initialization_options=merged,
        )
    )
    if wait_model:
        await wait_for(lc, lambda s: s["modelLoaded"], what="the model to load")
    return result


def _holds(want: dict[str, Any], have: dict[str, Any]) -> bool:
    """Every leaf of ``want`` has its value in ``have`` (the server's options, camelCase)."""
    return all(
        _holds(v, have.get(k, {})) if isinstance(v, dict) else have.get(k) == v
        for k, v in want.items()
    )


async def push(lc: LanguageClient, options: dict[str, Any]) -> None:
    """Pushes ``options`` as the client's whole settings and waits until the server has them."""
    lc.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"entropyComplete": options})
    )
    await wait_for(lc, lambda s: _holds(options, s["options"]), what="the pushed settings")


@contextlib.asynccontextmanager
async def pushed(lc: LanguageClient, over: dict[str, Any]) -> AsyncIterator[None]:
    """A shared server's settings with ``over`` on top for the block, then as they were."""
    base = lc.options  # type: ignore[attr-defined]
    await push(lc, merge(base, over))
    try:
        yield
    finally:
        await push(lc, base)


async def stats(lc: LanguageClient) -> dict[str, Any]:
    return plain(await lc.protocol.send_request_async("entropyComplete/stats", {}))


def plain(value: Any) -> Any:
    """pygls hands untyped results over as namedtuple-like Objects; make them dicts again."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


async def wait_for(
    lc: LanguageClient,
    predicate: Callable[[dict[str, Any]], bool],
    *,
    what: str,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Polls entropyComplete/stats until ``predicate`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        s = await stats(lc)
        if predicate(s):
            return s
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last stats: {s}")
        await asyncio.sleep(0.02)


def open_doc(
    lc: LanguageClient,
    name: str,
    text: str | None = None,
    version: int = 1,
    language_id: str = "python",
) -> str:
    """Opens tests/data/lsp/<name> (or ``text`` under that name); returns its URI."""
    path = DATA / name
    uri = path.as_uri()
    lc.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(
                uri=uri,
                language_id=language_id,
                version=version,
                text=path.read_text() if text is None else text,
            )
        )
    )
    return uri


def end_of(text: str) -> types.Position:
    """The position at the end of ``text`` (ASCII test files: characters = UTF-16 units)."""
    lines = text.split("\n")
    return types.Position(len(lines) - 1, len(lines[-1]))


def type_text(lc: LanguageClient, uri: str, version: int, at: types.Position, text: str) -> None:
    lc.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(range=types.Range(at, at), text=text)
            ],
        )
    )


def inline_params(
    uri: str, pos: types.Position, kind: types.InlineCompletionTriggerKind
) -> types.InlineCompletionParams:
    return types.InlineCompletionParams(
        context=types.InlineCompletionContext(trigger_kind=kind),
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=pos,
    )


INVOKED = types.InlineCompletionTriggerKind.Invoked
AUTOMATIC = types.InlineCompletionTriggerKind.Automatic
