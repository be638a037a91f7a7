"""The repo suite: lines that use cross-file names, four contexts side by side."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.repo import repo_tasks
from bench.repo_suite import identifier_match
from bench.run import BenchConfig, run_bench
from lsp_server.cli import main

UTIL = '''"""Helpers."""


def load_config(path, strict=False):
    """Read a configuration file."""
    return path


class Store:
    def fetch(self, key):
        return key
'''
MAIN = '''"""Uses the helpers."""

from pkg.util import Store, load_config
from pkg import util


def run(path):
    # load_config is named in a comment: not a use
    text = "load_config(path)"  # nor in a string
    config = load_config(path, strict=True)
    store = Store()
    other = util.load_config(config)
    return store.fetch(other)
'''


def make_repo(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "util.py").write_text(UTIL)
    (root / "pkg" / "main.py").write_text(MAIN)
    (root / "pkg" / "more.py").write_text("VALUE = 1\n")
    return root


def test_tasks_mask_uses_of_names_from_other_files(tmp_path: Path) -> None:
    make_repo(tmp_path)
    tasks = repo_tasks(tmp_path, None, seed=0)
    got = sorted((t.task.target, t.name) for t in tasks)
    assert got == [
        ("Store()", "Store"),
        ("load_config(config)", "load_config"),
        ("load_config(path, strict=True)", "load_config"),
    ]
    for t in tasks:
        original = (tmp_path / t.task.path).read_text()
        assert t.task.filled(t.task.target) == original
        assert t.open_files == ("pkg/__init__.py", "pkg/more.py", "pkg/util.py")
    typed = repo_tasks(tmp_path, None, seed=0, typed=2)
    assert sorted(t.task.target for t in typed) == [
        "ad_config(config)",
        "ad_config(path, strict=True)",
        "ore()",
    ]


def test_identifier_match() -> None:
    assert identifier_match("lo", "ad_config(x)", "load_config")
    assert identifier_match("", "load_config", "load_config")
    assert not identifier_match("", "load_configs()", "load_config")
    assert not identifier_match("lo", None, "load_config")


def test_suite_reports_four_contexts(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    cfg = BenchConfig(
        suites=("repo",), limit=None, n=2, max_new_tokens=12, lines_path=str(root),
        out=tmp_path / "out", progress=False, repo_typed=2,
    )  # fmt: skip
    suite = run_bench(cfg)["suites"]["repo"]
    assert suite["tasks"] == 3 and suite["retrieved_share"] == 1.0
    assert list(suite["contexts"]) == ["none", "open-files", "repo", "repo-on-entropy"]
    for c in suite["contexts"].values():
        assert 0.0 <= c["identifier_match"]["mean"] <= 1.0
        lo, hi = c["exact_gain"]["ci95"]
        assert lo <= c["exact_gain"]["mean"] <= hi
        assert c["latency_ms"]["p50"] > 0
    assert suite["contexts"]["none"]["exact_gain"]["mean"] == 0.0
    report = (tmp_path / "out" / "report.md").read_text()
    assert "| repo-on-entropy |" in report and "## repo (3 tasks" in report
    assert len((tmp_path / "out" / "repo-tasks.jsonl").read_text().splitlines()) == 3


def test_cli_needs_a_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--suite", "repo"]) == 2
    assert "the repo suite needs --path DIR" in capsys.readouterr().err
