"""`entropy-complete index DIR`: what the workspace index costs on a folder (build time, memory,
update after a save), as the server would build it."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from completion.workspace.figures import measure

from .args import bounded_int


def add_parser(sub) -> None:
    p = sub.add_parser(
        "index",
        help="measure the workspace index on a folder",
        description="Build the workspace index of DIR (definitions of its source files, "
        ".gitignore respected) and print its size, build time, memory and the time to "
        "re-read its largest file after a save.",
    )
    p.add_argument("dir", metavar="DIR", help="the workspace folder to index")
    p.add_argument(
        "--megabytes",
        type=bounded_int(1, None),
        default=32,
        help="the index's size cap (grounding.indexMegabytes, default 32)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        f = measure(args.dir, max_bytes=args.megabytes * 1_000_000)
    except ValueError as e:
        print(f"entropy-complete: error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(dataclasses.asdict(f)))
        return 0
    print(
        f"{_count(f.files, 'file')}, {_count(f.definitions, 'definition')} "
        f"({_count(f.over_cap, 'file')} over the cap)\n"
        f"build {f.build_s:.2f} s; memory held {f.traced_mb:.1f} MB (traced), "
        f"{f.estimate_mb:.1f} MB (the index's estimate, checked against the cap)\n"
        f"update after a save of the largest file ({f.largest_file}): {f.update_ms:.1f} ms"
    )
    return 0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
