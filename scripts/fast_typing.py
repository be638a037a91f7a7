"""What starting requests before the editor asks (the `speculate` setting) costs a user who types
faster than the editor asks: lines of a file typed again through the real server, a key every
``--key`` ms, the editor asking only after the line's last key and its debounce (as an editor
does when keys come faster than its debounce). Two servers take turns line by line, `speculate`
on and off; printed: the server's CPU time while typing, its model calls, and the median time
of the request after each line's last key.

    python scripts/fast_typing.py --key 40 --lines 8
    python scripts/fast_typing.py --key 60 --lines 8
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types

from lsp_server.replay import ReplayClient, typing_session

DEBOUNCE = 0.075


def cpu_seconds(client: ReplayClient) -> float:
    """The server process's user + system CPU time (Linux /proc)."""
    pid = client.client._server.pid  # type: ignore[union-attr]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def type_fast(c: ReplayClient, line: int, indent: str, chars: str, full: str, key: float):
    """Empties the line, asks after the pause, types it a key every ``key`` s, asks after the
    last key and the debounce (timed), and puts the rest of the line back."""
    col0 = len(indent)
    c.edit(types.Position(line, col0), types.Position(line, col0 + len(full)), "")
    await asyncio.sleep(DEBOUNCE)
    await c.ask(types.Position(line, col0))
    for k, ch in enumerate(chars):
        c.edit(types.Position(line, col0 + k), types.Position(line, col0 + k), ch)
        await asyncio.sleep(key)
    await asyncio.sleep(max(0.0, DEBOUNCE - key))
    took = await c.ask(types.Position(line, col0 + len(chars)))
    end = types.Position(line, col0 + len(chars))
    c.edit(end, end, full[len(chars) :])
    return took


async def run(path: Path, lines: int, key: float, seed: int, after_ms: int | None) -> None:
    text = path.read_text(encoding="utf-8")
    rows = text.split("\n")
    session = typing_session(text, lines, seed)
    with tempfile.TemporaryDirectory(prefix="ec-fast-") as tmp:
        on: dict = {"model": {"threads": 1}, "speculate": True}
        if after_ms is not None:
            on["speculateAfterMs"] = after_ms
        configs = {
            "speculate on": on,
            "speculate off": {"model": {"threads": 1}, "speculate": False},
        }
        clients = {name: ReplayClient(cfg, Path(tmp) / name) for name, cfg in configs.items()}
        cpu: dict[str, float] = dict.fromkeys(clients, 0.0)
        last: dict[str, list[float]] = {name: [] for name in clients}
        for c in clients.values():
            await c.start(path.resolve().as_uri(), text)
        try:
            for row in session:
                full = rows[row.line][len(row.indent) :]
                for name, c in clients.items():
                    before = cpu_seconds(c)
                    took = await type_fast(c, row.line, row.indent, row.chars, full, key)
                    cpu[name] += cpu_seconds(c) - before
                    last[name].append(took * 1000)
        finally:
            for c in clients.values():
                await c.stop()
    keys = sum(len(r.chars) for r in session)
    print(f"{path.name}: {len(session)} lines, {keys} keys, a key every {key * 1000:.0f} ms")
    for name, c in clients.items():
        s = c.timings.stats
        print(
            f"  {name}: server CPU {cpu[name]:.2f} s, model calls {s['modelCalls']}, "
            f"started before asked {s['speculations']} (taken over {s['speculationsUsed']}), "
            f"request after the last key p50 {statistics.median(last[name]):.1f} ms"
        )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--file", type=Path, default=Path(__file__).parents[1] / "ranking" / "risk.py")
    p.add_argument("--lines", type=int, default=8)
    p.add_argument("--key", type=float, default=40, help="ms between keys (40)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--after-ms", type=int, help="speculateAfterMs of the server with it on")
    args = p.parse_args()
    if not args.file.is_file() or args.lines < 1 or args.key <= 0:
        print("fast_typing: --file must be a file, --lines >= 1, --key > 0", file=sys.stderr)
        return 2
    start = time.monotonic()
    asyncio.run(run(args.file, args.lines, args.key / 1000, args.seed, args.after_ms))
    print(f"({time.monotonic() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
