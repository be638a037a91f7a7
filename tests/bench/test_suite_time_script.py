"""scripts/suite_time.py: the suite against a baseline commit, side by side (issue #13's
before/after figures)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "suite_time.py"
_spec = importlib.util.spec_from_file_location("suite_time", SCRIPT)
assert _spec is not None and _spec.loader is not None
suite_time = sys.modules["suite_time"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(suite_time)

HAS_GIT = (
    subprocess.run(
        ["git", "-C", str(SCRIPT.parent), "rev-parse", "HEAD"], capture_output=True
    ).returncode
    == 0
)


def test_bad_arguments_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as usage:
        suite_time.main(["HEAD", "--pairs", "0"])
    assert usage.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "suite_time.py: error: argument --pairs: --pairs must be at least 1, not 0 (see --help)"
    )
    if HAS_GIT:
        assert suite_time.main(["no-such-ref-anywhere"]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("suite_time.py: no-such-ref-anywhere is not a commit of ")
        assert "\n" not in err


@pytest.mark.skipif(not HAS_GIT, reason="not a git checkout")
def test_times_both_sides_in_turn_and_removes_its_worktree(
    capsys: pytest.CaptureFixture[str],
) -> None:
    tiny = ["--", "tests/cli/test_help.py", "-n", "0", "-k", "models", "--noconftest"]
    before = _worktrees()
    assert suite_time.main(["HEAD", "--pairs", "1", "--no-warmup", *tiny]) == 0
    out = capsys.readouterr().out
    order = re.findall(r"pair (\d): (this checkout|baseline) [\d.]+ s \((.*)\)", out)
    assert [(p, side) for p, side, _ in order] == [("1", "this checkout"), ("1", "baseline")]
    assert all(re.match(r"\d+ passed", summary) for _, _, summary in order), out
    rows = re.findall(r"^\| (\d) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|", out, re.M)
    assert [r[0] for r in rows] == ["1"]
    for _, ours, base, ratio in rows:
        assert float(ratio) == pytest.approx(float(ours) / float(base), abs=0.02)
    assert "median pair ratio" in out and "warning" not in out
    assert _worktrees() == before  # its baseline checkout is gone


def _worktrees() -> str:
    git = ["git", "-C", str(SCRIPT.parent), "worktree", "list", "--porcelain"]
    return subprocess.run(git, capture_output=True, text=True).stdout


def test_the_first_of_each_pair_alternates(capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[tuple[str, bool]] = []

    def run(folder: Path, baseline: bool) -> object:
        calls.append((folder.name, baseline))
        return suite_time.Run(float(len(calls)), 1.0, 0, f"{len(calls)} passed")

    sides = [(Path("ours"), False), (Path("base"), True)]
    current, base = suite_time.alternate(sides, 3, run)
    assert [b for _, b in calls] == [False, True, True, False, False, True]
    assert [r.wall for r in current] == [1.0, 4.0, 5.0] and [r.wall for r in base] == [2, 3, 6]
    assert "pair 2: baseline 3.0 s (3 passed)" in capsys.readouterr().out


def test_failed_runs_are_named() -> None:
    ok = suite_time.Run(10.0, 15.0, 0, "3 passed")
    bad = suite_time.Run(9.0, 14.0, 1, "1 failed, 2 passed", ("FAILED tests/a.py::t - boom",))
    text = suite_time.report([ok, bad], [ok, ok], "abc")
    assert "| 2 | 9.00 | 10.00 | 0.900 | 14 / 15 |" in text
    assert "warning: 1 of 2 runs of this checkout exited non-zero" in text
    assert "FAILED tests/a.py::t - boom" in text and "runs of baseline" not in text
