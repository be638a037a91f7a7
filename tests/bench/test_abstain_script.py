"""scripts/abstain.py: what an abstain threshold shows and how often it is right, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "abstain.py"


def run(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True
    )


def test_shown_share_and_accuracy_at_each_threshold(tmp_path: Path) -> None:
    tops = [(0.05, False), (0.15, True), (0.15, False), (0.3, True), None]
    lines = []
    for k, top in enumerate(tops):
        cands = [] if top is None else [{"confidence": top[0], "correct": top[1], "exact": False}]
        lines.append(json.dumps({"task_id": f"t{k}", "candidates": cands}))
    path = tmp_path / "lines-tasks.jsonl"
    path.write_text("\n".join(lines) + "\n")
    r = run(path, "--below", "0.1", "0.2", "0.5")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "abstainBelow 0.1: shown at 3 of 5 tasks (60.0%), correct when shown 66.7%",
        "abstainBelow 0.2: shown at 1 of 5 tasks (20.0%), correct when shown 100.0%",
        "abstainBelow 0.5: shown at 0 of 5 tasks (0.0%), correct when shown n/a",
    ]
    exact = run(path, "--below", "0.1", "--metric", "exact")
    assert "exact when shown 0.0%" in exact.stdout


def test_bad_input_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task_id": "t"}\n')
    for target in (bad, tmp_path / "missing.jsonl", tmp_path):
        r = run(target)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "error" in r.stderr
