"""Prints the shipped model's held-out files: python -m training.heldout [--check].

These are the corpus files the model never trained on (the fixed ~3% "valid" split of the
stdlib). The model's calibration is fitted on them, since no reported benchmark uses them:

    entropy-complete calibrate $(python -m training.heldout)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from .corpus import stdlib_root
from .export import WEIGHTS


def heldout_paths(manifest: Path = WEIGHTS / "manifest.json") -> tuple[list[Path], list[str]]:
    """(held-out files on this machine, problems): files missing or changed are problems."""
    data = json.loads(manifest.read_text())
    root = stdlib_root()
    paths, problems = [], []
    for f in data["files"]:
        if f["split"] != "valid" or f.get("source", "stdlib") != "stdlib":
            continue
        path = root / f["path"]
        if not path.is_file():
            problems.append(f"missing: {path}")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != f["sha256"]:
            problems.append(f"differs from the manifest (another Python version?): {path}")
        else:
            paths.append(path)
    return paths, problems


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m training.heldout", description=__doc__)
    p.add_argument("--check", action="store_true", help="exit 2 if any file is missing or differs")
    args = p.parse_args()
    paths, problems = heldout_paths()
    for msg in problems:
        print(f"python -m training.heldout: {msg}", file=sys.stderr)
    print("\n".join(str(x) for x in paths))
    return 2 if problems and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
