"""Rewrites the shipped MODEL_CARD.md with benchmark numbers taken from ``entropy-complete bench``.

    entropy-complete bench --suite humaneval-single --limit 0 --out runs/shipped
    entropy-complete bench --suite humaneval-single --limit 0 --prompt-format prefix --out runs/prefix
    python -m training.card --bench runs/shipped --other-bench runs/prefix

The card's training facts come from ``training/weights/training_state.json`` (written by the
recipe); nothing in the evaluation table is typed by hand.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from . import corpus, export
from .export import SHIPPED, WEIGHTS

SUITE = "humaneval-single"
# The trial this recipe had to beat (issue #3): same harness, 9.3M params, 10.4M tokens.
TRIAL = "1.22 bits/char, exact match 0.1%, pass 1.3%"


def _pct(metric: dict) -> str:
    lo, hi = metric["ci95"]
    return f"{metric['mean'] * 100:.1f}% [{lo * 100:.1f}, {hi * 100:.1f}]"


def _load(bench: Path) -> tuple[dict, dict]:
    report = json.loads((bench / "report.json").read_text())
    if SUITE not in report["suites"]:
        raise SystemExit(f"{bench}/report.json has no {SUITE} suite")
    return report["config"], report["suites"][SUITE]


def evaluation(bench: Path, other_bench: Path | None = None) -> dict[str, str]:
    """The card's evaluation rows from one benchmark report, or two: the shipped prompts and
    another ``--prompt-format``."""
    config, suite = _load(bench)
    r = suite["rankers"]
    ours, rand, oracle = r["ours"], r["random"], r["oracle"]
    n = suite["n_tasks"]
    fmt = config["model"]["prompt_format"]
    rows = {
        f"HumanEval single-line infilling, {n:,} tasks ({fmt}): pass@1 of the shown suggestion": (
            f"{_pct(ours['pass'])} (random pick of the {config['n']} samples "
            f"{rand['pass']['mean']:.1%}, oracle {oracle['pass']['mean']:.1%}; gain over random "
            f"{ours['gain_over_random']['mean'] * 100:+.1f} points)"
        ),
        "same: exact match / edit similarity": (
            f"{ours['exact_match']['mean']:.1%} / {ours['edit_similarity']['mean']:.1%}"
        ),
    }
    if other_bench is not None:
        other, alt = _load(other_bench)
        f_ours = alt["rankers"]["ours"]
        rows[f"same with {other['model']['prompt_format']} prompts"] = (
            f"pass@1 {f_ours['pass']['mean']:.1%}, exact match {f_ours['exact_match']['mean']:.1%}"
            f" ({alt['n_tasks']:,} tasks)"
        )
    fitted = (suite.get("confidence") or {}).get("fitted") or {}
    if fitted.get("auroc") is not None:
        rows["confidence (fitted, held-out half)"] = (
            f"AUROC {fitted['auroc']:.2f}, ECE {fitted['ece']:.3f}, Brier {fitted['brier']:.3f}"
        )
    lat = suite["latency"]
    first = (
        f"; first token p50 {lat['first_token_p50_ms']:.0f} ms"
        if "first_token_p50_ms" in lat
        else ""
    )
    rows[f"latency per completion (n={config['n']}, {config['model']['device']}, 1 thread)"] = (
        f"p50 {lat['p50_ms']:.0f} ms, p95 {lat['p95_ms']:.0f} ms{first}; "
        f"{lat['tokens_per_second']:.0f} tokens/s"
    )
    rows["command"] = f"`{config['command']}`"
    rows["trial it replaces"] = TRIAL
    return rows


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m training.card", description=__doc__)
    p.add_argument("--bench", type=Path, required=True, help="--out of a humaneval-single run")
    p.add_argument(
        "--other-bench", type=Path, help="--out of the same run with another --prompt-format"
    )
    args = p.parse_args()
    summary = json.loads((WEIGHTS / "training_state.json").read_text())
    manifest = json.loads((WEIGHTS / "manifest.json").read_text())
    summary.setdefault("third_party", corpus.third_party_rows(manifest))
    export.write_card(summary, SHIPPED, evaluation(args.bench, args.other_bench))
    print(f"wrote {SHIPPED / 'MODEL_CARD.md'}")


if __name__ == "__main__":
    main()
