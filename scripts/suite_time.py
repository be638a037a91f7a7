"""The test suite's time against a baseline commit's, side by side on this machine: the two
suites take turns (the first of each pair alternates, so a machine that slows down or speeds
up during the run weighs on both), and the report gives each run's wall time and CPU, the
medians and the ratio of each pair.

    python scripts/suite_time.py BASELINE_REF [--pairs 3] [--no-warmup] [-- PYTEST_ARGS...]

The baseline is checked out with ``git worktree`` in a temporary folder and run with the same
interpreter and packages, its folder first on PYTHONPATH so its code replaces this checkout's
(the servers and CLI processes its tests start inherit that). Each side runs once first,
uncounted, unless ``--no-warmup``: a first run builds caches (byte code, the VS Code
extension's packages, the llama.cpp GGUF) that would otherwise count against one side.
Nothing else should run meanwhile; the CPU column is what the suite and the processes it
waited for used (``RUSAGE_CHILDREN``).
"""

from __future__ import annotations

import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lsp_server.cli import OneLineParser
from lsp_server.cli.args import bounded_int

ROOT = Path(__file__).resolve().parents[1]
PROG = "suite_time.py"


@dataclass(frozen=True)
class Run:
    """One suite run: wall and CPU seconds, pytest's exit code, its summary line and the tests
    that failed (pytest's FAILED and ERROR lines)."""

    wall: float
    cpu: float
    code: int
    summary: str
    failed: tuple[str, ...] = ()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_suite(folder: Path, pytest_args: list[str], baseline: bool) -> Run:
    """``python -m pytest`` in ``folder`` (its code first on PYTHONPATH when ``baseline``)."""
    env = dict(os.environ)
    if baseline:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args]
    cpu, start = _children_cpu(), time.monotonic()
    done = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True)
    wall, cpu = time.monotonic() - start, _children_cpu() - cpu
    lines = [ln.strip("= ") for ln in done.stdout.splitlines() if ln.strip()]
    summary = next((ln for ln in reversed(lines) if re.search(r"\d+ (passed|failed)", ln)), "")
    failed = tuple(ln for ln in lines if ln.startswith(("FAILED ", "ERROR ")))
    return Run(wall, cpu, done.returncode, summary or (lines[-1] if lines else "no output"), failed)


def alternate(
    sides: list[tuple[Path, bool]], pairs: int, run: Callable[[Path, bool], Run]
) -> tuple[list[Run], list[Run]]:
    """``pairs`` runs of each side, taking turns, the first of each pair alternating (ours,
    baseline, baseline, ours, ...); returns this checkout's runs and the baseline's."""
    current: list[Run] = []
    base: list[Run] = []
    for pair in range(pairs):
        for folder, baseline in sides if pair % 2 == 0 else sides[::-1]:
            done = run(folder, baseline)
            (base if baseline else current).append(done)
            side = "baseline" if baseline else "this checkout"
            print(f"pair {pair + 1}: {side} {done.wall:.1f} s ({done.summary})", flush=True)
    return current, base


def _git(*args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    except OSError as exc:  # no git on PATH
        return subprocess.CompletedProcess(["git", *args], 2, "", f"git: {exc.strerror or exc}")


def report(current: list[Run], base: list[Run], ref: str) -> str:
    rows = ["| pair | this checkout s | baseline s | ratio | CPU s (this / baseline) |"]
    rows.append("|---|---|---|---|---|")
    for i, (a, b) in enumerate(zip(current, base), 1):
        rows.append(f"| {i} | {a.wall:.2f} | {b.wall:.2f} | {a.wall / b.wall:.3f} | "
                    f"{a.cpu:.0f} / {b.cpu:.0f} |")  # fmt: skip
    ratios = [a.wall / b.wall for a, b in zip(current, base)]
    med_a = statistics.median(r.wall for r in current)
    med_b = statistics.median(r.wall for r in base)
    return "\n".join(
        [
            f"Suite time, this checkout against {ref} ({len(ratios)} pairs, alternated):",
            "",
            *rows,
            "",
            f"median wall: this checkout {med_a:.1f} s, baseline {med_b:.1f} s; "
            f"median pair ratio {statistics.median(ratios):.3f}",
            f"this checkout: {current[-1].summary}",
            f"baseline:      {base[-1].summary}",
            *_failures(current, "this checkout"),
            *_failures(base, "baseline"),
        ]
    )


def _failures(runs: list[Run], side: str) -> list[str]:
    bad = [r for r in runs if r.code != 0]
    if not bad:
        return []
    names = sorted({name for r in bad for name in r.failed})
    return [f"warning: {len(bad)} of {len(runs)} runs of {side} exited non-zero", *names]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    cut = argv.index("--") if "--" in argv else len(argv)
    ours, pytest_args = argv[:cut], argv[cut + 1 :]
    ap = OneLineParser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("baseline", help="the git commit, tag or branch to compare with")
    ap.add_argument(
        "--pairs", type=bounded_int(1, None, "--pairs "), default=3, help="runs of each (3)"
    )
    ap.add_argument("--no-warmup", action="store_true", help="count each side's first run as well")
    args = ap.parse_args(ours)
    commit = _git("rev-parse", "--verify", "--quiet", f"{args.baseline}^{{commit}}")
    if commit.returncode != 0:
        why = commit.stderr.strip() or f"{args.baseline} is not a commit of {ROOT}"
        print(f"{PROG}: {why}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="suite-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        added = _git("worktree", "add", "--detach", str(tree), commit.stdout.strip())
        if added.returncode != 0:
            print(f"{PROG}: git worktree add failed: {added.stderr.strip()}", file=sys.stderr)
            return 2
        try:
            sides = [(ROOT, False), (tree, True)]
            if not args.no_warmup:
                for folder, baseline in sides:
                    run_suite(folder, pytest_args, baseline)
            current, base = alternate(sides, args.pairs, lambda f, b: run_suite(f, pytest_args, b))
        finally:
            _git("worktree", "remove", "--force", str(tree))
    print()
    print(report(current, base, args.baseline))
    return 0


if __name__ == "__main__":
    sys.exit(main())
