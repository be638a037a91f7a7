"""Measures completion latency through LSP: the real server over stdio with its default options
and the shipped model, timed at the client. Not a test; run it with
`python tests/e2e/lsp_latency.py [--requests 50] [--file PATH ...]`."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities

from lsp_server.report import read_events

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FILES = [ROOT / "completion" / "prompt.py", ROOT / "ranking" / "risk.py"]


def positions(text: str, count: int) -> list[types.Position]:
    """Ends of non-blank code lines spread over the file: typical places to ask."""
    lines = text.split("\n")
    spots = [i for i, ln in enumerate(lines) if ln.strip() and not ln.strip().startswith("#")]
    step = max(1, len(spots) // count)
    return [types.Position(i, len(lines[i])) for i in spots[::step][:count]]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


async def main(args: argparse.Namespace) -> None:
    started = time.time()
    env = {**os.environ, "XDG_STATE_HOME": str(Path(args.state).resolve())}
    cmd = [sys.executable, "-m", "lsp_server", "serve"]
    client = await ClientServerConfig(server_command=cmd, server_env=env).start()
    await client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("neovim"))
    )
    while not (await client.protocol.send_request_async("entropyComplete/stats", {})).modelLoaded:
        await asyncio.sleep(0.05)
    files = [Path(f) for f in args.file] or DEFAULT_FILES
    times: dict[str, list[float]] = {"automatic": [], "invoked": [], "typing": []}
    kinds = {
        "automatic": types.InlineCompletionTriggerKind.Automatic,
        "invoked": types.InlineCompletionTriggerKind.Invoked,
    }
    per_file = max(1, args.requests // len(files))
    for n, path in enumerate(files):
        text = path.read_text()
        uri = path.resolve().as_uri()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text))
        )
        version = 1
        for pos in positions(text, per_file):
            for name, kind in kinds.items():
                params = types.InlineCompletionParams(
                    context=types.InlineCompletionContext(trigger_kind=kind),
                    text_document=types.TextDocumentIdentifier(uri),
                    position=pos,
                )
                t = time.perf_counter()
                result = await client.text_document_inline_completion_async(params)
                times[name].append(time.perf_counter() - t)
                items = result.items if result else []
            # Typing-through: type the first character of the last suggestion shown.
            shown = next((i.insert_text for i in items if isinstance(i.insert_text, str)), "")
            if len(shown) > 1 and shown[0] != "\n":
                version += 1
                client.text_document_did_change(
                    types.DidChangeTextDocumentParams(
                        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                        [types.TextDocumentContentChangePartial(types.Range(pos, pos), shown[0])],
                    )
                )
                after = types.Position(pos.line, pos.character + len(shown[0].encode()))
                params = types.InlineCompletionParams(
                    context=types.InlineCompletionContext(trigger_kind=kinds["invoked"]),
                    text_document=types.TextDocumentIdentifier(uri),
                    position=after,
                )
                t = time.perf_counter()
                await client.text_document_inline_completion_async(params)
                times["typing"].append(time.perf_counter() - t)
                version += 1
                client.text_document_did_change(
                    types.DidChangeTextDocumentParams(
                        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                        [types.TextDocumentContentChangePartial(types.Range(pos, after), "")],
                    )
                )
        print(f"file {n + 1}/{len(files)} done", file=sys.stderr)
    stats = await client.protocol.send_request_async("entropyComplete/stats", {})
    await client.shutdown_session()
    await client.stop()
    print(
        f"model {stats.modelId}, {stats.modelCalls} model calls, {stats.typingThrough} typing-through hits"
    )
    # The server's own view of the same model calls (telemetry), to see what LSP adds.
    inside: dict[str, dict[str, float]] = {}
    for event in read_events(Path(args.state).resolve() / "entropy-complete" / "telemetry.jsonl"):
        if event["event"] in ("shown", "abstain") and event["ts"] >= started:
            inside.setdefault(event["trigger"], {})[event["request"]] = event["latency_ms"]["total"]
    for name, values in times.items():
        if values:
            ms = [v * 1000 for v in values]
            line = (
                f"{name:<10} n={len(ms):>3}  p50 {pct(ms, 50):7.1f} ms  p95 {pct(ms, 95):7.1f} ms"
            )
            line += f"  mean {statistics.fmean(ms):7.1f} ms"
            if server := list(inside.get(name, {}).values()):
                line += f"   (in the server: p50 {pct(server, 50):.1f}, p95 {pct(server, 95):.1f})"
            print(line)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=50, help="cursor positions in all")
    ap.add_argument("--file", action="append", default=[], help="Python file(s) to complete in")
    ap.add_argument("--state", default="/tmp/entropy-complete-latency", help="telemetry dir")
    asyncio.run(main(ap.parse_args()))
