"""A CI-sized `entropy-complete bench` run on the shipped model: the report's shape and sanity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.rankers import ORACLE, RANKERS
from lsp_server.__main__ import main

SUITES = ("humaneval-single", "lines", "flags")


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    repo = tmp_path_factory.mktemp("repo")
    (repo / "util.py").write_text(
        "def clamp(value, low, high):\n    return max(low, min(value, high))\n\n\n"
        "def mean(values):\n    return sum(values) / len(values)\n"
    )
    args = ["bench", "--limit", "6", "--n", "3", "--out", str(out), "--quiet", "--path", str(repo)]
    for s in SUITES:
        args += ["--suite", s]
    assert main(args) == 0
    return out


def in_unit(x) -> bool:
    return x is None or 0.0 <= x <= 1.0


def test_files_are_written(report_dir: Path) -> None:
    names = {p.name for p in report_dir.iterdir()}
    assert {"report.json", "report.md"} <= names
    for suite in ("humaneval-single", "lines"):
        for kind in ("reliability.png", "risk-coverage.png", "tasks.jsonl", "confidence.json"):
            assert f"{suite}-{kind}" in names
        png = (report_dir / f"{suite}-reliability.png").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 5000
    md = (report_dir / "report.md").read_text()
    assert "## humaneval-single (6 tasks)" in md and "## flags" in md and "| **ours** |" in md


def test_config_records_how_it_ran(report_dir: Path) -> None:
    config = json.loads((report_dir / "report.json").read_text())["config"]
    assert len(config["model"]["id"]) == 12
    assert config["n"] == 3 and config["seed"] == 0 and config["limit"] == 6
    assert config["max_new_tokens"] == {"humaneval-single": 48, "lines": 48}
    for key in ("temperature", "top_p", "top_k", "sandbox", "command"):
        assert key in config
    # The shipped model asks for suffix-first prompts (its entropy-complete.json).
    assert config["model"]["prompt_format"] == "fill-in-the-middle (suffix, prefix, middle)"


def test_rankers_are_sane(report_dir: Path) -> None:
    suites = json.loads((report_dir / "report.json").read_text())["suites"]
    assert set(suites) == set(SUITES)
    for name, metrics in (
        ("humaneval-single", ("pass", "exact_match", "edit_similarity")),
        ("lines", ("exact_match", "edit_similarity")),
    ):
        s = suites[name]
        assert s["n_tasks"] == (6 if name != "lines" else s["n_tasks"]) and s["n_tasks"] > 0
        assert set(s["rankers"]) == {*RANKERS, ORACLE}
        for metric in metrics:
            oracle = s["rankers"][ORACLE][metric]["mean"]
            for ranker, r in s["rankers"].items():
                m = r[metric]
                assert in_unit(m["mean"]) and m["ci95"][0] <= m["mean"] <= m["ci95"][1]
                assert m["mean"] <= oracle + 1e-9, (name, ranker, metric)
        ours = s["rankers"]["ours"]
        assert "gain_over_random" in ours and "oracle_gap_closed" in ours


def test_syntax_confidence_latency(report_dir: Path) -> None:
    s = json.loads((report_dir / "report.json").read_text())["suites"]["humaneval-single"]
    syn = s["syntax"]
    assert syn["samples"] == 6 * 3
    for key in ("valid_before_postprocess", "valid_after_postprocess", "dropped_by_postprocess"):
        assert in_unit(syn[key])
    conf = s["confidence"]
    assert conf["calibration_tasks"] + conf["held_out_tasks"] == 6
    for model in ("fitted", "priors"):
        q = conf[model]
        for key in ("accuracy", "auroc", "ece", "brier"):
            assert in_unit(q[key]), (model, key)
        assert set(q["risk_coverage"]["at"]) <= {"50%", "80%", "90%"}
        assert len(q["reliability"]) == 10
    lat = s["latency"]
    assert 0 < lat["p50_ms"] <= lat["p95_ms"] and lat["tokens_per_second"] > 0
    flags = json.loads((report_dir / "report.json").read_text())["suites"]["flags"]
    assert flags["n_snippets"] == 6 and in_unit(flags["snippet"]["precision"])


def test_tasks_in_languages_the_model_does_not_declare_are_left_out() -> None:
    from types import SimpleNamespace

    from bench.run import _known_languages
    from bench.tasks import Task

    tasks = [
        Task("a", "x", 0, "y", "a.py"),
        Task("b", "x", 0, "y", "b.ts"),
        Task("c", "x", 0, "y", "c.rs"),
    ]
    python_only = SimpleNamespace(info=SimpleNamespace(languages=("python",)))
    kept, skipped = _known_languages(tasks, python_only)
    assert [t.id for t in kept] == ["a"] and skipped == {"typescript": 1, "rust": 1}
    anything = SimpleNamespace(info=SimpleNamespace(languages=None))
    assert _known_languages(tasks, anything) == (tasks, {})


def test_the_command_lines_suite_names_are_the_suites_that_run() -> None:
    from bench.run import MODEL_SUITES, STATIC_SUITES
    from bench.suites import MODEL_SUITE_NAMES, STATIC_SUITE_NAMES

    assert tuple(MODEL_SUITES) == MODEL_SUITE_NAMES
    assert tuple(STATIC_SUITES) == STATIC_SUITE_NAMES
