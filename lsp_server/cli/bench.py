"""`entropy-complete bench`: the headless benchmark (suites, rankers, calibration, latency, flags)."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from bench.suites import SUITES
from completion.pipeline import MAX_CANDIDATES

from .args import (
    add_engine_options,
    add_sampling_options,
    bounded_float,
    bounded_int,
    output_dir,
    readable_file,
    remote_settings,
    settings_json,
)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "bench",
        help="benchmark the engine: ranking, confidence, syntax, latency, review flags",
        description="Run the engine in-process on benchmark suites and write report.json, "
        "report.md, per-task JSONL, the fitted confidence model and PNG plots to --out.",
    )
    p.add_argument(
        "--suite",
        action="append",
        choices=(*SUITES, "latency"),
        help="suite to run; repeat for several (default: humaneval-single); `latency` runs "
        "alone (see docs/benchmark.md)",
    )
    p.add_argument("--path", help="repository to draw lines from (the lines and repo suites)")
    p.add_argument(
        "--grounding-chars",
        type=bounded_int(0, None),
        default=1200,
        help="repo suite: characters of retrieved definitions at most (1200, the server's "
        "grounding.maxChars default)",
    )
    p.add_argument(
        "--typed",
        type=bounded_int(0, 20),
        default=2,
        help="repo suite: characters of the cross-file name already typed at the cursor (2)",
    )
    p.add_argument(
        "--grounding-placement",
        choices=["auto", "line", "head"],
        default="auto",
        help="repo suite: retrieved definitions as comments above the cursor's line, as file "
        "blocks before the prefix, or as the server places them for this model (auto)",
    )
    p.add_argument(
        "--hole",
        choices=["rest", "span"],
        default="rest",
        help="lines suite: ask for the rest of the line, or a span inside it (code after the "
        "cursor on its line)",
    )
    p.add_argument(
        "--limit",
        type=bounded_int(0, None),
        default=40,
        help="tasks per suite (default 40; 0: all)",
    )
    p.add_argument(
        "--placement",
        choices=["official", "editor"],
        default="official",
        help="HumanEval holes: OpenAI's (the line and its newline; the cursor at column 0 of "
        "the next line's code) or an editor's (the cursor on an empty line)",
    )
    p.add_argument(
        "-n", "--n", type=bounded_int(1, MAX_CANDIDATES), default=4, help="candidates (default 4)"
    )
    add_sampling_options(p)
    p.add_argument(
        "--max-tokens",
        type=bounded_int(1, 4096),
        help="new tokens per candidate (default per suite)",
    )
    p.add_argument(
        "--prompt-tokens",
        type=bounded_int(0, None),
        default=0,
        help="prompt tokens at most (0: the model's window; the server's automatic trigger "
        "uses 256)",
    )
    p.add_argument("--no-greedy", action="store_true", help="sample all n (no greedy candidate)")
    p.add_argument(
        "--confidence",
        type=readable_file,
        help="confidence JSON to rank with (default: the model's own confidence.json)",
    )
    add_engine_options(p, default_threads=1)
    p.add_argument(
        "--timeout",
        type=bounded_float(0, None, above=True),
        default=5.0,
        help="seconds per test program",
    )
    p.add_argument(
        "--unsafe-exec",
        action="store_true",
        help="run generated code even where the sandbox cannot isolate it (no user or PID "
        "namespaces): resource limits and an audit hook only, never as root",
    )
    p.add_argument("--out", type=output_dir, default=Path("bench-results"), help="output directory")
    lat = p.add_argument_group("latency suite")
    lat.add_argument(
        "--replay-file",
        action="append",
        type=readable_file,
        default=[],
        help="file to replay typing in (repeat; default: a module of this package and the "
        "standard library's argparse.py, 2,000+ lines)",
    )
    lat.add_argument(
        "--replay-lines",
        type=bounded_int(0, 200),
        default=6,
        help="lines typed per file (6; 0: no typing replay)",
    )
    lat.add_argument(
        "--replay-debounce",
        type=bounded_int(0, 2000),
        default=75,
        metavar="MS",
        help="the replayed editor's wait between a keystroke and its request (75; VS Code "
        "waits 50, Neovim 0.12 200)",
    )
    lat.add_argument(
        "--replay-settings",
        type=settings_json,
        help="server settings (JSON, as an editor sends them) for one more 1-thread server "
        'typing side by side with the defaults, e.g. \'{"automatic": {"promptTokens": 128}}\'',
    )
    lat.add_argument(
        "--random-weights",
        action="store_true",
        help="the model has random weights (scripts/arch_models.py): every method generates "
        "the full --max-tokens, so the same work is timed",
    )
    lat.add_argument(
        "--gguf",
        type=readable_file,
        help="a GGUF of the same weights: adds llama.cpp (llama-cpp-python) to the cold requests",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def command_line(args: argparse.Namespace, suites: tuple[str, ...]) -> str:
    """The run's settings spelled as a command, for the report (defaults written out)."""
    parts = ["entropy-complete", "bench"]
    for s in suites:
        parts += ["--suite", s]
    optional = {"--path": args.path, "--model": args.model, "--max-tokens": args.max_tokens}
    if args.prompt_tokens:
        optional["--prompt-tokens"] = args.prompt_tokens
    if args.prompt_format != "auto":
        optional["--prompt-format"] = args.prompt_format
    if args.backend != "ctranslate2":
        optional |= {"--backend": args.backend, "--url": args.url}
    if args.placement != "official":
        optional["--placement"] = args.placement
    if args.hole != "rest":
        optional["--hole"] = args.hole
    if args.grounding_chars != 1200:
        optional["--grounding-chars"] = args.grounding_chars
    if "repo" in suites:
        optional["--typed"] = args.typed
    if args.grounding_placement != "auto":
        optional["--grounding-placement"] = args.grounding_placement
    parts += [x for k, v in optional.items() if v is not None for x in (k, str(v))]
    parts += [
        "--limit",
        str(args.limit),
        "--n",
        str(args.n),
        "--temperature",
        str(args.temperature),
    ]
    parts += ["--top-p", str(args.top_p), "--seed", str(args.seed)]
    if args.no_greedy:
        parts.append("--no-greedy")
    if args.unsafe_exec:
        parts.append("--unsafe-exec")
    return shlex.join(parts)


def run(args: argparse.Namespace) -> int:
    from bench.run import BenchConfig, run_bench  # the suites' modules: only for this command
    from completion import CompletionError

    suites = tuple(dict.fromkeys(args.suite or ["humaneval-single"]))
    if "latency" in suites:
        from .latency import run_suite

        return run_suite(args, suites)
    for needs_path in ("lines", "repo"):
        if needs_path in suites and not args.path:
            print(
                f"entropy-complete: error: the {needs_path} suite needs --path DIR", file=sys.stderr
            )
            return 2
    try:
        remote = remote_settings(args)
    except ValueError as e:
        print(f"entropy-complete: error: {e}", file=sys.stderr)
        return 2
    cfg = BenchConfig(
        suites=suites,
        limit=args.limit or None,
        n=args.n,
        temperature=args.temperature,
        top_p=args.top_p,
        top_k=args.top_k,
        include_greedy=not args.no_greedy,
        max_new_tokens=args.max_tokens,
        prompt_tokens=args.prompt_tokens,
        seed=args.seed,
        model=args.model,
        device=args.device,
        compute_type=args.compute_type,
        threads=args.threads,
        prompt_format=args.prompt_format,
        remote=remote,
        lines_path=args.path,
        lines_hole=args.hole,
        grounding_chars=args.grounding_chars,
        repo_typed=args.typed,
        grounding_placement=args.grounding_placement,
        placement=args.placement,
        confidence=str(args.confidence) if args.confidence else None,
        timeout=args.timeout,
        unsafe_exec=args.unsafe_exec,
        out=args.out,
        progress=not args.quiet,
        command=command_line(args, suites),
    )
    try:
        run_bench(cfg)
    except (CompletionError, ValueError, RuntimeError) as e:
        print(f"entropy-complete: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}/report.json, report.md and plots")
    print((args.out / "report.md").read_text(encoding="utf-8"))
    return 0
