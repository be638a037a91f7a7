"""Compares two benchmark runs of the same suite task by task: the top suggestion's pass (or exact
match) in run A and in run B, and the paired difference B - A with a 95% bootstrap interval.

Usage: python scripts/paired_runs.py A_TASKS.jsonl B_TASKS.jsonl [--metric correct|exact|identifier]
       [--context none|open-files|repo|repo-on-entropy] [--by-kind]

Each file is the ``*-tasks.jsonl`` a ``bench`` run writes to its ``--out`` folder (or a
``calibrate --save-runs`` file: ``--by-kind`` then splits its placements); only the
tasks both runs have are compared. For the repo suite, ``--context`` picks which of its
contexts is compared (its rows hold the top suggestion of each). Use it to judge a setting (a prompt budget, a candidate
count): run the same suite, seed and limit with each value, then compare. A difference whose
interval holds 0 is not one the data shows.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.metrics import bootstrap


def top_hits(path: Path, metric: str, context: str | None = None) -> dict[str, float]:
    """Task id -> 1.0 when the top suggestion is right by ``metric``, else 0.0."""
    hits: dict[str, float] = {}
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                row = json.loads(line)
                if context is not None:  # the repo suite: one scored top per context
                    hits[row["id"]] = float(bool(row[context][metric]))
                    continue
                top = row["candidates"][0] if row["candidates"] else None
                hits[row["task_id"]] = float(bool(top and top[metric]))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{n}: not a bench task line ({exc})") from None
    return hits


def compare(a: dict[str, float], b: dict[str, float]) -> dict:
    ids = sorted(a.keys() & b.keys())
    if not ids:
        raise ValueError("the two runs have no task in common")
    diff = bootstrap([b[i] - a[i] for i in ids])
    return {
        "tasks": len(ids),
        "a": 100 * sum(a[i] for i in ids) / len(ids),
        "b": 100 * sum(b[i] for i in ids) / len(ids),
        "diff": 100 * diff["mean"],
        "ci95": [100 * diff["ci95"][0], 100 * diff["ci95"][1]],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("a", type=Path, help="run A's tasks JSONL")
    p.add_argument("b", type=Path, help="run B's tasks JSONL")
    p.add_argument("--metric", choices=("correct", "exact", "identifier"), default="correct")
    p.add_argument(
        "--context",
        choices=("none", "open-files", "repo", "repo-on-entropy"),
        help="repo suite runs: the context compared",
    )
    p.add_argument(
        "--by-kind",
        action="store_true",
        help="also compare each kind of task on its own: the part of the task id before its "
        "first '/' (calibrate's official/, cut/ and editor/ placements)",
    )
    args = p.parse_args(argv)
    try:
        a = top_hits(args.a, args.metric, args.context)
        b = top_hits(args.b, args.metric, args.context)
        rows = [("", compare(a, b))]
        if args.by_kind:
            kinds = sorted({i.split("/", 1)[0] for i in a.keys() & b.keys() if "/" in i})
            for kind in kinds:
                pick = {i: v for i, v in a.items() if i.startswith(kind + "/")}
                rows.append((f"{kind}: ", compare(pick, b)))
    except (OSError, ValueError) as exc:
        print(f"paired_runs: error: {exc}", file=sys.stderr)
        return 2
    for label, r in rows:
        lo, hi = r["ci95"]
        print(
            f"{label}{r['tasks']} tasks, top suggestion {args.metric}: A {r['a']:.1f}%, "
            f"B {r['b']:.1f}%, B - A {r['diff']:+.1f} points [{lo:+.1f}, {hi:+.1f}]"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
