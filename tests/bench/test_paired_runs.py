"""scripts/paired_runs.py: two bench runs compared task by task, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "paired_runs.py"


def tasks(path: Path, tops: dict[str, bool]) -> Path:
    with path.open("w") as f:
        for task, right in tops.items():
            cands = [{"text": "x", "correct": right, "exact": right}, {"correct": not right}]
            f.write(json.dumps({"task_id": task, "candidates": cands}) + "\n")
        f.write(json.dumps({"task_id": "empty", "candidates": []}) + "\n")
    return path


def run(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True
    )


def test_the_paired_difference_counts_only_the_top_suggestion_of_shared_tasks(tmp_path):
    a = tasks(tmp_path / "a.jsonl", {"t1": False, "t2": False, "t3": True, "only-a": True})
    b = tasks(tmp_path / "b.jsonl", {"t1": True, "t2": True, "t3": True})
    r = run(a, b, "--metric", "exact")
    assert r.returncode == 0, r.stderr
    # 4 shared tasks (t1-t3, empty): A 1 of 4, B 3 of 4; every resample gains 0 to +100.
    assert "4 tasks, top suggestion exact: A 25.0%, B 75.0%, B - A +50.0 points" in r.stdout
    same = run(a, a)
    assert "B - A +0.0 points [+0.0, +0.0]" in same.stdout


def test_bad_input_is_one_line_and_exit_code_2(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    good = tasks(tmp_path / "good.jsonl", {"t1": True})
    for args in ((bad, good), (good, tmp_path / "missing.jsonl"), (good, tmp_path)):
        r = run(*args)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "error" in r.stderr


def test_a_repo_suite_context_is_compared_on_its_own(tmp_path):
    def repo_run(path: Path, none: list[bool], repo: list[bool]) -> Path:
        rows = [
            {"id": f"t{k}", "none": {"exact": n, "identifier": n}, "repo": {"exact": r}}
            for k, (n, r) in enumerate(zip(none, repo))
        ]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        return path

    a = repo_run(tmp_path / "a.jsonl", [True, False], [False, False])
    b = repo_run(tmp_path / "b.jsonl", [False, False], [True, True])
    r = run(a, b, "--context", "none", "--metric", "identifier")
    assert "2 tasks, top suggestion identifier: A 50.0%, B 0.0%, B - A -50.0" in r.stdout, r.stderr
    r = run(a, b, "--context", "repo", "--metric", "exact")
    assert "A 0.0%, B 100.0%, B - A +100.0 points [+100.0, +100.0]" in r.stdout, r.stderr


def test_by_kind_compares_each_placement_on_its_own(tmp_path):
    a = tasks(tmp_path / "a.jsonl", {"cut/f:1": False, "cut/f:2": False, "official/f:3": True})
    b = tasks(tmp_path / "b.jsonl", {"cut/f:1": True, "cut/f:2": True, "official/f:3": True})
    r = run(a, b, "--by-kind")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("4 tasks, top suggestion correct: A 25.0%, B 75.0%")
    assert lines[1] == "cut: 2 tasks, top suggestion correct: A 0.0%, B 100.0%, " + (
        "B - A +100.0 points [+100.0, +100.0]"
    )
    assert lines[2].startswith("official: 1 tasks, top suggestion correct: A 100.0%, B 100.0%")
    assert len(lines) == 3  # "empty" has no kind
