"""`entropy-complete complete FILE --line L --column C`: ranked suggestions for one position."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from completion import CompletionError, CompletionRequest, Mode, SamplingPolicy
from completion.pipeline import MAX_CANDIDATES
from ranking import RankOptions, flag_record
from ranking.suggest import Outcome, suggest, warm_up

from .args import (
    add_engine_options,
    add_sampling_options,
    bounded_int,
    language,
    remote_settings,
)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "complete",
        help="complete code at a position in a file and print ranked suggestions",
        description="Print ranked completions for FILE at LINE:COLUMN (both 1-based, the column "
        "counted in characters, as editors show them).",
    )
    p.add_argument("file", type=Path, help="the source file (UTF-8 text)")
    p.add_argument("--line", type=int, required=True, help="1-based line of the cursor")
    p.add_argument("--column", type=int, required=True, help="1-based column of the cursor")
    p.add_argument(
        "-n",
        type=bounded_int(1, MAX_CANDIDATES),
        default=4,
        help="candidates to sample (default 4)",
    )
    p.add_argument(
        "--show",
        type=bounded_int(1, 32),
        default=3,
        help="suggestions to show (default 3)",
    )
    add_sampling_options(p)
    p.add_argument(
        "--max-tokens",
        type=bounded_int(1, 4096),
        default=48,
        help="new tokens per candidate at most (default 48)",
    )
    p.add_argument(
        "--mode",
        choices=[m.value for m in Mode],
        default="line",
        help="line: stop at the end of the line (default); block: at the end of the block",
    )
    p.add_argument("--no-greedy", action="store_true", help="do not include a greedy candidate")
    p.add_argument(
        "--language", type=language, help="LSP languageId (default: from the file extension)"
    )
    add_engine_options(p, default_threads=0)
    p.add_argument(
        "--any-language",
        action="store_true",
        help="complete even when the model does not declare the file's language",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def fail(msg: str) -> int:
    print(f"entropy-complete: error: {msg}", file=sys.stderr)
    return 2


def cursor_offset(text: str, line: int, column: int) -> int:
    """1-based line/column (characters) -> str offset; ValueError with a reason if outside."""
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        raise ValueError(f"line {line} is outside the file (1..{len(lines)})")
    width = len(lines[line - 1].rstrip("\r"))
    if not 1 <= column <= width + 1:
        raise ValueError(f"column {column} is outside line {line} (1..{width + 1})")
    return sum(len(ln) + 1 for ln in lines[: line - 1]) + column - 1


def to_json(outcome: Outcome, engine) -> dict:
    r, rk = outcome.result, outcome.ranking
    return {
        "model": {
            "path": engine.info.path,
            "id": engine.info.model_id,
            "family": engine.info.family,
            "device": engine.info.device,
            "compute_type": engine.info.compute_type,
        },
        "language": r.language,
        "abstained": rk.abstained,
        "best_confidence": round(rk.best_confidence, 4),
        "samples": r.n_samples,
        "timings_ms": {
            k: round(getattr(r.timings, k) * 1000, 1)
            for k in ("prompt", "first_token", "generate", "entropy", "postprocess", "rank")
        },
        "suggestions": [
            {
                "text": s.text,
                "confidence": round(s.confidence, 4),
                "rank_score": round(s.rank_score, 4),
                "mean_entropy": round(s.features.mean_entropy, 4),
                "max_entropy": round(s.features.max_entropy, 4),
                "mean_logprob": round(s.features.mean_logprob, 4),
                "syntax_ok": s.features.syntax_ok,
                "syntax_delta": s.features.syntax_delta,
                "syntax": syntax_word(r.language, s.features.syntax_ok),
                "agreement": round(s.features.agreement, 4),
                "ended": s.features.ended,
                "review_required": s.review_required,
                "flags": [flag_record(f) for f in s.flags],
            }
            for s in rk.suggestions
        ],
    }


def syntax_word(language: str | None, ok: bool) -> str:
    """What the syntax column says: "ok" (the insertion adds no parse errors to the file as it
    was), "breaks" (it adds some), or "n/a" (no grammar for the file: nothing was parsed)."""
    if language is None:
        return "n/a"
    return "ok" if ok else "breaks"


def total_ms(data: dict) -> float:
    # first_token is part of generate, not an extra phase.
    return sum(v for k, v in data["timings_ms"].items() if k != "first_token")


def print_table(data: dict) -> None:
    m = data["model"]
    print(
        f"model {m['id']} ({m['family']}, {m['device']}/{m['compute_type']}), "
        f"language {data['language'] or 'unknown'}, {data['samples']} samples, "
        f"{total_ms(data):.0f} ms"
    )
    if not data["suggestions"]:
        if data["samples"] == 0:
            print("no suggestion: the document is empty")
        else:
            print("no suggestion: the model was not confident enough")
        return
    print(f"{'#':>2}  {'conf':>5}  {'H mean':>6}  {'H max':>5}  {'syntax':<6}  suggestion")
    for i, s in enumerate(data["suggestions"], 1):
        text = s["text"].replace("\n", "\\n")
        text = text if len(text) <= 70 else text[:67] + "..."
        print(
            f"{i:>2}  {s['confidence']:>5.2f}  {s['mean_entropy']:>6.2f}  "
            f"{s['max_entropy']:>5.2f}  {s['syntax']:<6}  {text}"
        )
        for f in s["flags"]:
            mark = "REVIEW" if f["review_required"] else "note"
            print(
                f"    {mark}: {f['message']} ({f['rule']}, {f['cwe']}, entropy {f['entropy']:.2f})"
            )


def run(args: argparse.Namespace) -> int:
    try:
        text = args.file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return fail(f"file not found: {args.file}")
    except UnicodeDecodeError:
        return fail(f"cannot read {args.file}: not UTF-8 text")
    except OSError as e:
        return fail(f"cannot read {args.file}: {e.strerror or e}")
    try:
        offset = cursor_offset(text, args.line, args.column)
    except ValueError as e:
        return fail(str(e))
    policy = SamplingPolicy(
        n=args.n,
        temperature=args.temperature,
        top_p=args.top_p,
        top_k=args.top_k,
        max_new_tokens=args.max_tokens,
        mode=Mode(args.mode),
        include_greedy=not args.no_greedy and args.n > 1,
        seed=args.seed,
    )
    request = CompletionRequest(
        text, offset, args.language, str(args.file), policy, any_language=args.any_language
    )
    from completion.remote import open_engine

    try:
        engine = open_engine(
            args.model,
            device=args.device,
            compute_type=args.compute_type,
            threads=args.threads,
            prompt_format=args.prompt_format,
            remote=remote_settings(args),
        )
        # As the server does at load: the printed latency is a warm request's, like its own.
        warm_up(engine)
        outcome = suggest(engine, request, options=RankOptions(top_k=args.show))
    except (CompletionError, ValueError) as e:
        return fail(str(e))
    data = to_json(outcome, engine)
    if args.json:
        print(json.dumps(data, indent=1))
    else:
        print_table(data)
        if any(s["syntax"] == "breaks" for s in data["suggestions"]):
            print("syntax: 'breaks' = inserting it adds parse errors to the file as it was")
    return 0
