"""`entropy-complete bench --suite latency`: workloads (a) and (b), JSON + Markdown + a plot.

(a) cold single-line requests in-process: ours vs the naive CTranslate2 route vs llama.cpp
    (``bench.latency``), with one and with two threads;
(b) a typing session replayed through the real LSP server over stdio, on a short and on a
    2,000-line file, threads 1 and 2 side by side (``lsp_server.replay``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shlex
import statistics
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from bench.latency import LlamaCpp, cold_requests, requests_for
from completion import CompletionError

from ..replay import replay

THREADS = (1, 2)


@dataclass(frozen=True, slots=True)
class LatencyConfig:
    model: str | None
    prompts: int  # workload (a)
    replay_files: tuple[Path, ...]  # workload (b)
    replay_lines: int
    gguf: Path | None
    seed: int
    max_tokens: int = 48
    random_weights: bool = False
    extra_settings: dict | None = None  # one more 1-thread server with these settings
    debounce_ms: int = 75  # the replayed editor's wait between a keystroke and its request


def default_replay_files() -> tuple[Path, ...]:
    """A module of this package (~300 lines) and the standard library's argparse (2,000+)."""
    import argparse as stdlib_argparse

    import ranking.risk

    return (Path(ranking.risk.__file__), Path(stdlib_argparse.__file__))


def machine() -> dict:
    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    cpu = platform.processor()
    with contextlib.suppress(OSError):  # not Linux: platform.processor() stands
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "ctranslate2": version("ctranslate2"),
        "llama_cpp_python": version("llama-cpp-python"),
        "entropy_complete": version("entropy-complete"),
    }


def replay_row(timings) -> dict:
    ms = sorted(x * 1000 for x in timings.latencies)
    stats = timings.stats
    return {
        "requests": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(ms[max(0, round(0.95 * len(ms)) - 1)], 1),
        "after_pause_p50_ms": round(statistics.median(timings.after_pause) * 1000, 1),
        "shown": timings.shown,
        "model_calls": stats.get("modelCalls"),
        "stopped_early": stats.get("gaveUp"),
        "started_before_asked": stats.get("speculationsUsed"),
        "avoided": (stats.get("cacheHits") or 0) + (stats.get("typingThrough") or 0),
        "rss_mb": round(timings.rss_mb, 1) if timings.rss_mb else None,
    }


def run_latency(cfg: LatencyConfig, say=print) -> dict:
    """Runs both workloads and returns the report (see the module docstring)."""
    from bench.humaneval import humaneval_tasks
    from completion import CT2Engine
    from ranking.suggest import warm_up

    tasks = humaneval_tasks("single")[: cfg.prompts]
    requests = requests_for(tasks, cfg.max_tokens, fixed_length=cfg.random_weights)
    report: dict = {"machine": machine(), "cold": {}, "replay": {}, "debounce_ms": cfg.debounce_ms}
    for threads in THREADS:
        say(f"workload (a): {len(requests)} cold requests, {threads} thread(s)")
        engine = CT2Engine(cfg.model, device="cpu", threads=threads)
        warm_up(engine)  # the server does this at load: the first request is not cold-started
        context = engine.info.context_tokens
        llama = LlamaCpp(cfg.gguf, threads, context) if cfg.gguf else None
        report["cold"][f"threads={threads}"] = cold_requests(
            engine, requests, llama, fixed_length=cfg.random_weights
        )
        del engine, llama
    model: dict[str, object] = {"path": cfg.model} if cfg.model else {}
    settings = {f"threads={t}": {"model": {**model, "threads": t}} for t in THREADS}
    if cfg.extra_settings:
        more = cfg.extra_settings
        name = f"threads=1, {json.dumps(more, separators=(',', ':'))}"
        settings[name] = {**more, "model": {**more.get("model", {}), **model, "threads": 1}}
    for path in cfg.replay_files if cfg.replay_lines else ():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        say(f"workload (b): typing {cfg.replay_lines} lines of {path.name} ({lines} lines)")
        result = asyncio.run(
            replay(
                path, settings, lines=cfg.replay_lines, seed=cfg.seed,
                debounce=cfg.debounce_ms / 1000,
            )
        )  # fmt: skip
        report["replay"][path.name] = {
            "lines": lines,
            **{name: replay_row(t) for name, t in result.items()},
        }
    cold1 = report["cold"]["threads=1"]["ours"]["p50_ms"]
    for data in report["replay"].values():
        data["p50_over_cold"] = round(data["threads=1"]["p50_ms"] / cold1, 3)
    return report


def markdown(report: dict, command: str) -> str:
    m = report["machine"]
    out = [
        "# Latency",
        "",
        f"`{command}`",
        "",
        f"{m['cpu']}, {m['cores']} cores; Python {m['python']}, CTranslate2 {m['ctranslate2']}, "
        f"llama-cpp-python {m['llama_cpp_python'] or 'not installed'}.",
        "",
        "## (a) Cold single-line requests, 4 candidates (median ms, interleaved)",
        "",
        "| threads | ours | naive CTranslate2 | llama.cpp | ours/naive | ours/llama.cpp "
        "| ranking share (p50 / first) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, data in report["cold"].items():
        llama = str(data.get("llama.cpp", {}).get("p50_ms", "—"))
        r = data["ratios"]
        out.append(
            f"| {name.split('=')[1]} | {data['ours']['p50_ms']} | {data['naive']['p50_ms']} "
            f"| {llama} | {r['ours/naive']} | {r.get('ours/llama.cpp', '—')} "
            f"| {data['ours']['rank_share_p50']:.1%} / {data['ours']['rank_share_first']:.1%} |"
        )
    out += [
        "",
        "## (b) Typing replay through the LSP server (stdio, automatic trigger, "
        f"{report.get('debounce_ms', 75)} ms debounce)",
        "",
        "| file | threads | requests | p50 ms | p95 ms | after a pause p50 | model calls "
        "| stopped early | started before asked | answered without the model | RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for file, data in report["replay"].items():
        for name, r in data.items():
            if not name.startswith("threads="):
                continue
            out.append(
                f"| {file} ({data['lines']} lines) | {name.removeprefix('threads=')} "
                f"| {r['requests']} "
                f"| {r['p50_ms']} | {r['p95_ms']} | {r['after_pause_p50_ms']} "
                f"| {r['model_calls']} | {r.get('stopped_early')} "
                f"| {r.get('started_before_asked')} | {r['avoided']} "
                f"| {r['rss_mb']} |"
            )
    out.append("")
    for file, data in report["replay"].items():
        out.append(f"- {file}: replay p50 / cold p50 (1 thread) = {data['p50_over_cold']}")
    return "\n".join(out) + "\n"


def plot(report: dict, path: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    rows = [
        (f"{file}\n{name}", r["p50_ms"], r["p95_ms"])
        for file, data in report["replay"].items()
        for name, r in data.items()
        if name.startswith("threads=")
    ]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ys = range(len(rows))
    ax.barh(ys, [r[2] for r in rows], color="#c6dbef", label="p95")
    ax.barh(ys, [r[1] for r in rows], color="#2171b5", label="p50")
    ax.set_yticks(list(ys), [r[0] for r in rows], fontsize=8)
    ax.set_xlabel("ms per request (typing replay through the LSP server)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write(report: dict, out: Path, command: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    report = {"command": command, **report}
    (out / "latency.json").write_text(json.dumps(report, indent=1))
    (out / "latency.md").write_text(markdown(report, command))
    plot(report, out / "latency.png")


def config_from(args: argparse.Namespace) -> LatencyConfig:
    files = tuple(Path(f) for f in args.replay_file) or default_replay_files()
    return LatencyConfig(
        model=args.model,
        prompts=args.limit or 40,
        replay_files=files,
        replay_lines=args.replay_lines,
        gguf=args.gguf,
        seed=args.seed,
        max_tokens=args.max_tokens or (16 if args.random_weights else 48),
        random_weights=args.random_weights,
        extra_settings=args.replay_settings,
        debounce_ms=args.replay_debounce,
    )


def command_of(args: argparse.Namespace) -> str:
    """The command line that reruns this run (written at the top of latency.md)."""
    parts = ["entropy-complete", "bench", "--suite", "latency", "--limit", str(args.limit)]
    parts += ["--replay-lines", str(args.replay_lines), "--seed", str(args.seed)]
    if args.replay_debounce != 75:
        parts += ["--replay-debounce", str(args.replay_debounce)]
    if args.replay_settings:
        parts += ["--replay-settings", json.dumps(args.replay_settings, separators=(",", ":"))]
    for f in args.replay_file:
        parts += ["--replay-file", str(f)]
    if args.model:
        parts += ["--model", args.model]
    if args.gguf:
        parts += ["--gguf", str(args.gguf)]
    if args.random_weights:
        parts += ["--random-weights", "--max-tokens", str(args.max_tokens or 16)]
    return shlex.join(parts)


def run_suite(args: argparse.Namespace, suites: tuple[str, ...]) -> int:
    """`entropy-complete bench --suite latency`: both workloads, written to --out."""

    if len(suites) > 1:
        print("entropy-complete: error: the latency suite runs alone", file=sys.stderr)
        return 2
    if args.backend != "ctranslate2":
        print("entropy-complete: error: the latency suite times the local engine", file=sys.stderr)
        return 2
    if args.gguf is not None:
        try:
            import llama_cpp  # noqa: F401
        except ImportError:
            print(
                "entropy-complete: error: --gguf needs llama-cpp-python "
                '(pip install "entropy-complete[llama]")',
                file=sys.stderr,
            )
            return 2
    command = command_of(args)
    try:
        report = run_latency(config_from(args), say=lambda m: print(m, file=sys.stderr))
    except (CompletionError, RuntimeError, OSError) as e:
        print(f"entropy-complete: error: {e}", file=sys.stderr)
        return 2
    write(report, args.out, command)
    print(f"wrote {args.out}/latency.json, latency.md and latency.png")
    print((args.out / "latency.md").read_text(encoding="utf-8"))
    return 0
