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
import json
import sys
from pathlib import Path


def tops(path: Path, metric: str) -> list[tuple[float, bool] | None]:
    """Per task: (confidence, right) of the top suggestion, or None when there was none."""
    out: list[tuple[float, bool] | None] = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                cands = json.loads(line)["candidates"]
                top = cands[0] if cands else None
                out.append(None if top is None else (float(top["confidence"]), bool(top[metric])))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError, IndexError) as exc:
                raise ValueError(f"{path}:{n}: not a bench task line ({exc})") from None
    if not out:
        raise ValueError(f"{path}: no tasks")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("tasks", type=Path, help="a bench run's tasks JSONL")
    p.add_argument("--below", type=float, nargs="+", default=[0.1, 0.2], help="thresholds")
    p.add_argument("--metric", choices=("correct", "exact"), default="correct")
    args = p.parse_args(argv)
    try:
        rows = tops(args.tasks, args.metric)
    except (OSError, ValueError) as exc:
        print(f"abstain: error: {exc}", file=sys.stderr)
        return 2
    for t in args.below:
        shown = [r[1] for r in rows if r is not None and r[0] >= t]
        right = f"{100 * sum(shown) / len(shown):.1f}%" if shown else "n/a"
        print(
            f"abstainBelow {t:g}: shown at {len(shown)} of {len(rows)} tasks "
            f"({100 * len(shown) / len(rows):.1f}%), {args.metric} when shown {right}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
