"""What an abstain threshold does on a benchmark run: at each threshold, the share of tasks where
the top suggestion would be shown (its confidence at or above it) and how often a shown one is
right.

Usage: python scripts/abstain.py TASKS.jsonl [--below 0.1 0.2 ...] [--metric correct|exact]

TASKS.jsonl is the ``*-tasks.jsonl`` a ``bench`` run writes to its ``--out`` folder. The
confidence is the one the run showed (the model's calibration, or ``bench --confidence``).
A task with no candidate counts as not shown.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.report import load_runs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("tasks", type=Path, help="a bench run's tasks JSONL")
    p.add_argument("--below", type=float, nargs="+", default=[0.1, 0.2], help="thresholds")
    p.add_argument("--metric", choices=("correct", "exact"), default="correct")
    args = p.parse_args(argv)
    try:
        runs = load_runs(args.tasks)
    except (OSError, ValueError) as exc:
        print(f"abstain: error: {exc}", file=sys.stderr)
        return 2
    if not runs:
        print(f"abstain: error: {args.tasks}: no tasks", file=sys.stderr)
        return 2
    rows = [r.candidates[0] if r.candidates else None for r in runs]
    for t in args.below:
        shown = [bool(getattr(c, args.metric)) for c in rows if c and c.confidence >= t]
        right = f"{100 * sum(shown) / len(shown):.1f}%" if shown else "n/a"
        print(
            f"abstainBelow {t:g}: shown at {len(shown)} of {len(rows)} tasks "
            f"({100 * len(shown) / len(rows):.1f}%), {args.metric} when shown {right}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
