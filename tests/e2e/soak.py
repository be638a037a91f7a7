"""A soak of the real server (stdio, shipped model): many inline requests across several documents,
typed edits between them, superseded requests, documents closed and reopened; it records every
answer and the server's RSS every ``every`` requests.

Run the full one with ``nice -n 10 python -m tests.e2e.soak 10000`` (prints the RSS curve;
``python -m tests.e2e.soak N EVERY IDLE`` also prints the RSS after IDLE seconds of no typing);
``test_soak.py`` runs a short one in CI.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.rpc_client import rss_kib, stdio_server, stopped

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("lsp_server/cache.py", "lsp_server/reviews.py", "ranking/rank.py")
# Keystrokes (didChange notifications) between two requests: notifications are what leaked.
# They type a comment at the start of a line, so most automatic requests stop early (with
# "xxxxxxxx" the model loops to its token limit and the CI soak took twice as long).
TYPED = "# note: "
KEYS = len(TYPED)
CANCELLED, CONTENT_MODIFIED = -32800, -32801


@dataclass
class Soak:
    """What a soak saw: answer kinds by code, and (requests done, RSS in KiB) samples."""

    answers: Counter[str] = field(default_factory=Counter)
    rss: list[tuple[int, int]] = field(default_factory=list)
    seconds: float = 0.0
    stats: dict = field(default_factory=dict)
    idle_rss: int = 0  # KiB, after the requests and an idle pause (``run``'s ``idle``)

    @property
    def growth_kib(self) -> int:
        """RSS growth from the first sample after warm-up to the last."""
        return self.rss[-1][1] - self.rss[1][1] if len(self.rss) > 2 else 0

    def growth_after(self, done: int) -> int:
        """The highest RSS sampled after ``done`` requests, minus the sample at ``done``."""
        base = dict(self.rss)[done]
        return max(kib for n, kib in self.rss if n >= done) - base


def _doc(client, uri: str, text: str, version: int) -> None:
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": version, "text": text}},
    )


async def run(
    tmp: Path, requests: int, every: int, env: dict[str, str] | None = None, idle: float = 0.0
) -> Soak:
    """Drives ``requests`` inline requests through a fresh server (``env`` added to its
    environment); see the module docstring. With ``idle``, the server then idles that many
    seconds and ``idle_rss`` is its RSS after."""
    proc, client = await stdio_server(tmp, env=env)
    out = Soak()
    t0 = time.monotonic()
    try:
        await client.initialize({})
        await client.wait_model()
        texts = {
            f"file:///soak/{i}_{Path(s).name}": (ROOT / s).read_text()
            for i, s in enumerate(SOURCES)
        }
        # A 1 MB neighbour, edited too: its snippet windows used to pile up per version.
        texts["file:///soak/big.py"] = (ROOT / SOURCES[0]).read_text() * 200
        versions = dict.fromkeys(texts, 1)
        for uri, text in texts.items():
            _doc(client, uri, text, 1)
        uris = [u for u in texts if not u.endswith("big.py")]
        pending: list[int] = []
        for i in range(requests):
            uri = uris[i % len(uris)]
            line = 20 + (i // len(uris)) % 60
            for k in range(KEYS):  # the user types at the end of a line
                for u in (uri, "file:///soak/big.py") if k == 0 and i % 10 == 0 else (uri,):
                    versions[u] += 1
                    pos = {"line": line, "character": k if u == uri else 0}
                    change = {"range": {"start": pos, "end": pos}, "text": TYPED[k]}
                    client.notify(
                        "textDocument/didChange",
                        {
                            "textDocument": {"uri": u, "version": versions[u]},
                            "contentChanges": [change],
                        },
                    )
            params = {
                "textDocument": {"uri": uri},
                "position": {"line": line, "character": KEYS},
                "context": {"triggerKind": 2},
            }
            pending.append(client.send_request("textDocument/inlineCompletion", params))
            if (i + 1) % every == 0:
                out.rss.append((i + 1, rss_kib(proc.pid)))
            if i % 7 == 3 and i + 1 < requests:
                continue  # the next request supersedes this one while it runs
            for msg_id in pending:
                reply = await client.answer(msg_id, timeout=60)
                code = reply.get("error", {}).get("code")
                out.answers["result" if "result" in reply else str(code)] += 1
            pending.clear()
            if i % 97 == 96:  # close and reopen a document: what it held must go
                client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
                versions[uri] = 1
                _doc(client, uri, texts[uri], 1)
        if idle:
            await asyncio.sleep(idle)
            out.idle_rss = rss_kib(proc.pid)
        out.stats = (await client.request("entropyComplete/stats"))["result"]
        await client.request("shutdown")
        client.notify("exit")
        await stopped(proc)
    finally:
        client.close()
        if proc.returncode is None:
            proc.kill()
    out.seconds = time.monotonic() - t0
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        every = int(sys.argv[2]) if len(sys.argv) > 2 else 1000 if n >= 5000 else max(1, n // 5)
        idle = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
        soak = asyncio.run(run(Path(tmp), n, every, idle=idle))
    print(f"{n} requests in {soak.seconds:.0f} s: {dict(soak.answers)}")
    for done, kib in soak.rss:
        print(f"  after {done:>6} requests: RSS {kib / 1024:.1f} MB")
    print(f"growth after warm-up: {soak.growth_kib / 1024:.1f} MB")
    if idle:
        print(f"after {idle:g} s idle: RSS {soak.idle_rss / 1024:.1f} MB")


if __name__ == "__main__":
    main()
