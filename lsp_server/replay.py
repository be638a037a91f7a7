"""Workload (b) of the latency suite: a typing session replayed through the real LSP server.

Lines of a real file are typed again, character by character, into the server over stdio,
with an editor's debounce: after each keystroke the client waits ``debounce`` seconds, asks
for an automatic inline completion and waits for the answer; the next keystroke follows the
typing rhythm. Before each line the user pauses (the cursor waits on the emptied line), so the
first request of a line is the "after a pause" case. Several server configurations (threads 1
and 2, say) replay the same session side by side, line by line in turn, so they share the
machine's conditions.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

STATS = "entropyComplete/stats"


@dataclass(frozen=True, slots=True)
class TypedLine:
    """One line to type again: its index, indentation and the characters after it."""

    line: int
    indent: str
    chars: str


def typing_session(text: str, lines: int, seed: int, max_chars: int = 40) -> list[TypedLine]:
    """``lines`` code lines of ``text`` spread over the file (seeded), the first
    ``max_chars`` characters of each to be typed."""
    rows = text.split("\n")
    spots = [
        i
        for i, row in enumerate(rows)
        if 8 <= len(row.strip()) and not row.strip().startswith(("#", '"', "'")) and i > 10
    ]
    rng = random.Random(seed)
    chosen = sorted(rng.sample(spots, min(lines, len(spots))))
    out = []
    for i in chosen:
        row = rows[i]
        indent = row[: len(row) - len(row.lstrip())]
        out.append(TypedLine(i, indent, row[len(indent) :][:max_chars]))
    return out


@dataclass(slots=True)
class Timings:
    """What one server configuration measured over the session."""

    latencies: list[float] = field(default_factory=list)  # seconds, every request
    after_pause: list[float] = field(default_factory=list)  # first request of each line
    shown: int = 0  # requests answered with at least one suggestion
    stats: dict = field(default_factory=dict)  # the server's own counters at the end
    rss_mb: float | None = None


def _rss_mb(pid: int) -> float | None:
    try:
        for row in Path(f"/proc/{pid}/status").read_text().splitlines():
            if row.startswith("VmRSS:"):
                return int(row.split()[1]) / 1024
    except OSError:
        return None
    return None


class ReplayClient:
    """One language server (``entropy-complete serve``) with its own settings and document."""

    def __init__(self, settings: dict, state_dir: Path) -> None:
        self.settings = settings
        self.state_dir = state_dir
        self.client = LanguageClient("entropy-complete-replay", "1")
        # The server tells the client when it held a suggestion back: nothing to do here.
        self.client.feature("entropyComplete/abstained")(lambda *_: None)
        self.version = 0
        self.uri = ""
        self.timings = Timings()

    async def start(self, uri: str, text: str) -> None:
        env = {**os.environ, "XDG_STATE_HOME": str(self.state_dir)}
        cmd = [sys.executable, "-m", "lsp_server", "serve", "--log-level", "error"]
        await self.client.start_io(*cmd, env=env)
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                initialization_options=self.settings,
            )
        )
        self.client.initialized(types.InitializedParams())
        for _ in range(1200):  # the model loads in the background (and warms up)
            stats = await self.client.protocol.send_request_async(STATS, {})
            if stats.modelLoaded or stats.modelError:
                break
            await asyncio.sleep(0.05)
        if stats.modelError:
            raise RuntimeError(f"the server could not load its model: {stats.modelError}")
        self.uri = uri
        self.version = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text))
        )

    def edit(self, start: types.Position, end: types.Position, text: str) -> None:
        self.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                [types.TextDocumentContentChangePartial(types.Range(start, end), text)],
            )
        )

    async def ask(self, pos: types.Position) -> float:
        params = types.InlineCompletionParams(
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic
            ),
            text_document=types.TextDocumentIdentifier(self.uri),
            position=pos,
        )
        t = time.perf_counter()
        result = await asyncio.wait_for(
            self.client.text_document_inline_completion_async(params), timeout=30
        )
        took = time.perf_counter() - t
        self.timings.latencies.append(took)
        items = result.items if isinstance(result, types.InlineCompletionList) else result
        self.timings.shown += bool(items)
        return took

    async def type_line(self, row: TypedLine, full: str, key: float, debounce: float) -> None:
        """Empties the line (after its indentation), pauses, then types it back."""
        col0 = len(row.indent)
        self.edit(types.Position(row.line, col0), types.Position(row.line, col0 + len(full)), "")
        await asyncio.sleep(debounce)
        self.timings.after_pause.append(await self.ask(types.Position(row.line, col0)))
        for k, ch in enumerate(row.chars):
            at = types.Position(row.line, col0 + k)
            self.edit(at, at, ch)
            await asyncio.sleep(debounce)
            took = await self.ask(types.Position(row.line, col0 + k + 1))
            await asyncio.sleep(max(0.0, key - debounce - took))
        # Put the rest of the line back, as the file was.
        end = types.Position(row.line, col0 + len(row.chars))
        self.edit(end, end, full[len(row.chars) :])

    async def stop(self) -> None:
        stats = await self.client.protocol.send_request_async(STATS, {})
        # pygls hands back an unknown method's result as a namedtuple.
        self.timings.stats = stats._asdict() if hasattr(stats, "_asdict") else dict(stats)
        server = getattr(self.client, "_server", None)
        if server is not None:
            self.timings.rss_mb = _rss_mb(server.pid)
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


async def replay(
    path: Path,
    configs: dict[str, dict],
    *,
    lines: int,
    seed: int,
    key: float = 0.12,
    debounce: float = 0.075,
    progress=None,
) -> dict[str, Timings]:
    """Replays the typing session on ``path`` through one server per configuration.

    Args:
        path: the file typed in (its lines are emptied and typed again one at a time).
        configs: name -> the server's settings (``initializationOptions``).
        lines: lines typed; seed: which ones.
        key: seconds between keystrokes; debounce: the client's wait before it asks.
        progress: called with the number of lines done (a progress bar).
    """
    text = path.read_text(encoding="utf-8")
    rows = text.split("\n")
    session = typing_session(text, lines, seed)
    with tempfile.TemporaryDirectory(prefix="ec-replay-") as tmp:
        clients = {
            name: ReplayClient(settings, Path(tmp) / name) for name, settings in configs.items()
        }
        for c in clients.values():
            await c.start(path.resolve().as_uri(), text)
        try:
            for n, row in enumerate(session, 1):
                full = rows[row.line][len(row.indent) :]
                for c in clients.values():  # side by side: each config types the line in turn
                    await c.type_line(row, full, key, debounce)
                if progress is not None:
                    progress(n)
        finally:
            for c in clients.values():
                await c.stop()
    return {name: c.timings for name, c in clients.items()}
