"""Writes a workspace of N Python files copied from this interpreter's standard library (its
directory layout kept), for measuring the workspace index on a ~2,000-file repository:

    python scripts/stdlib_workspace.py /tmp/stdlib-2000 --files 2000
    entropy-complete index /tmp/stdlib-2000
"""

from __future__ import annotations

import argparse
import shutil
import sys
import sysconfig
from pathlib import Path


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", type=Path)
    p.add_argument("--files", type=int, default=2000)
    args = p.parse_args()
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(f for f in root.rglob("*.py") if "site-packages" not in f.parts)
    if args.out.exists() and any(args.out.iterdir()):
        print(f"error: {args.out} is not empty", file=sys.stderr)
        return 2
    for f in files[: args.files]:
        dest = args.out / f.relative_to(root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, dest)
    print(f"{min(args.files, len(files))} files under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
