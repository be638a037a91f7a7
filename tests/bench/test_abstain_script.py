"""scripts/abstain.py: what an abstain threshold shows and how often it is right, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.report import task_record
from bench.tasks import Scored, TaskRun
from ranking import Features

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "abstain.py"


def run(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True
    )


def top(confidence: float, correct: bool) -> Scored:
    f = Features(
        mean_logprob=-1.0,
        sum_logprob=-2.0,
        mean_entropy=1.0,
        max_entropy=1.0,
        tail_entropy=1.0,
        ended=True,
        emitted_eot=False,
        syntax_delta=0,
        agreement=1.0,
        n_tokens=2,
    )
    return Scored("x", confidence, f, 0, True, 4, correct, False, 0.5)


def test_shown_share_and_accuracy_at_each_threshold(tmp_path: Path) -> None:
    tops = [top(0.05, False), top(0.15, True), top(0.15, False), top(0.3, True), None]
    runs = [
        TaskRun(f"t{k}", (c,) if c else (), 0, 0, (True,), (True,), 0.1, 0.1, 2, {})
        for k, c in enumerate(tops)
    ]
    path = tmp_path / "lines-tasks.jsonl"
    path.write_text("".join(json.dumps(task_record(r)) + "\n" for r in runs))
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
