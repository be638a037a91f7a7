"""`entropy-complete complete` end to end on the real shipped model: through ``main`` in this
process, and once as a subprocess, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_runner import as_user, cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "greeter.py"


def test_table_output_lists_ranked_suggestions() -> None:
    r = as_user("complete", str(EXAMPLE), "--line", "10", "--column", "16", "--threads", "1")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("model ") and "python" in lines[0]
    assert "conf" in lines[1] and "suggestion" in lines[1]
    assert lines[2].lstrip().startswith("1 ")


def test_version_names_the_package_and_the_engine() -> None:
    from importlib.metadata import version

    r = cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == (
        f"entropy-complete {version('entropy-complete')} (ctranslate2 {version('ctranslate2')})"
    )


def test_json_output_has_the_documented_fields(tmp_path) -> None:
    src = tmp_path / "run.py"
    src.write_text("import subprocess\n\n\ndef run(cmd):\n    return subprocess.\n")
    r = cli(
        "complete",
        str(src),
        "--line",
        "5",
        "--column",
        "23",
        "--json",
        "-n",
        "6",
        "--temperature",
        "0.8",
        "--threads",
        "1",
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["language"] == "python" and data["samples"] == 6
    assert 1 <= len(data["suggestions"]) <= 3
    for s in data["suggestions"]:
        for key in (
            "text",
            "confidence",
            "mean_entropy",
            "max_entropy",
            "mean_logprob",
            "syntax_ok",
            "flags",
        ):
            assert key in s
        assert 0 <= s["confidence"] <= 1 and s["max_entropy"] >= s["mean_entropy"] >= 0
        for f in s["flags"]:
            assert {"rule", "cwe", "start", "end", "entropy", "review_required"} <= set(f)
    # Ordered by the rank score (syntax-clean first); the confidence is its own calibrated model.
    scores = [s["rank_score"] for s in data["suggestions"] if s["syntax_ok"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.py", "--line", "1", "--column", "1"], "file not found"),
        ([str(EXAMPLE), "--line", "99", "--column", "1"], "line 99 is outside"),
        ([str(EXAMPLE), "--line", "1", "--column", "40"], "column 40 is outside"),
        (
            [str(EXAMPLE), "--line", "1", "--column", "1", "--model", "/nonexistent/model"],
            "model directory not found",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(args, message) -> None:
    r = cli("complete", *args)
    assert r.returncode == 2
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_model_dir_without_tokenizer_or_weights(tmp_path) -> None:
    r = cli("complete", str(EXAMPLE), "--line", "1", "--column", "1", "--model", str(tmp_path))
    assert r.returncode == 2 and "no model.bin" in r.stderr
    (tmp_path / "model.bin").write_bytes(b"")
    r = cli("complete", str(EXAMPLE), "--line", "1", "--column", "1", "--model", str(tmp_path))
    assert r.returncode == 2 and "no tokenizer.json" in r.stderr


@pytest.mark.parametrize(
    ("name", "text", "line", "column"),
    [
        ("main.rs", "fn main() {\n    for (k, v) in DIAGNOSTICS.\n}\n", 2, 31),
        ("main.go", "package main\n\nfunc main() {\n    x := \n}\n", 4, 10),
        ("main.c", "#include <stdio.h>\n\nint main(void) {\n    printf(\n}\n", 4, 12),
    ],
)
def test_languages_the_model_does_not_know_get_no_suggestion(tmp_path, name, text, line, column):
    # The shipped model was trained on Python only: it must not write Python into Rust.
    src = tmp_path / name
    src.write_text(text)
    r = cli("complete", str(src), "--line", str(line), "--column", str(column), "--threads", "1")
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1
    assert "knows only python" in r.stderr and "Traceback" not in r.stderr
    forced = cli(
        "complete", str(src), "--line", str(line), "--column", str(column), "--any-language"
    )
    assert forced.returncode == 0, forced.stderr


@pytest.mark.parametrize("text", ["", "\n\n   \n"])
def test_an_empty_file_gets_no_suggestion_and_no_special_token(tmp_path, text) -> None:
    src = tmp_path / "empty.py"
    src.write_text(text)
    r = cli("complete", str(src), "--line", "1", "--column", "1", "--json", "--threads", "1")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["suggestions"] == []
    assert "<fim_" not in r.stdout and "<|endoftext|>" not in r.stdout


def test_special_tokens_end_a_candidate(engine) -> None:
    # Every control token of the tokenizer is a stop: none can be decoded into a suggestion.
    vocab = engine.tokenizer.get_vocab()
    for token in ("<|endoftext|>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>"):
        assert vocab[token] in engine.stop_ids


def test_calibrate_refits_from_saved_runs_and_refuses_bad_input(tmp_path) -> None:
    import numpy as np

    from bench.report import task_record
    from bench.tasks import Scored, TaskRun
    from ranking import ConfidenceModel, Features

    rng = np.random.default_rng(0)
    lines = []
    for i in range(120):
        cands = []
        for k in range(3):
            lp = float(rng.normal(-1.0, 0.6))
            f = Features(
                mean_logprob=lp,
                sum_logprob=3 * lp,
                mean_entropy=-lp,
                max_entropy=-lp,
                tail_entropy=-lp,
                ended=True,
                emitted_eot=True,
                syntax_delta=0,
                agreement=0.3,
                n_tokens=3,
            )
            ok = bool(rng.random() < 1 / (1 + np.exp(-(4 * lp + 3))))
            cands.append(Scored(f"c{k}", 0.5, f, k, False, 1, ok, ok, 0.5))
        lines.append(TaskRun(f"t{i}", tuple(cands), 0, None, (), (), 0.1, 0.1, 9, {}))
    runs = tmp_path / "runs.jsonl"
    runs.write_text("".join(json.dumps(task_record(r)) + "\n" for r in lines))
    out = tmp_path / "confidence.json"
    r = cli("calibrate", "--from-runs", str(runs), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "held-out half" in r.stdout and "AUROC" in r.stdout
    model = ConfidenceModel.load(out)
    assert model.rank_weights["sum_logprob"] > 0 and "runs" in model.source
    # Without --out the fit goes into the model's directory: confidence.json for the prompts
    # the model uses on its own, confidence.<format>.json for another layout.
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "entropy-complete.json").write_text('{"prompt_format": "spm"}')
    for fmt, name in [("prefix", "confidence.prefix.json"), ("spm", "confidence.json")]:
        r = cli(
            "calibrate", "--from-runs", str(runs), "--model", str(model_dir), "--prompt-format", fmt
        )
        assert r.returncode == 0, r.stderr
        assert f"wrote {model_dir / name}" in r.stdout and (model_dir / name).is_file()
    # --compare scores an existing fit on the same held-out half, beside the new one.
    r = cli("calibrate", "--from-runs", str(runs), "--dry-run", "--compare", str(out))
    assert r.returncode == 0, r.stderr
    rows = {line.split()[0]: line for line in r.stdout.splitlines() if "AUROC" in line}
    assert set(rows) == {"fitted", "summed", "confidence.json"} and "dry run" in r.stdout
    assert float(rows["confidence.json"].split("AUROC")[1].split()[0]) > 0.5
    assert sorted(p.name for p in model_dir.glob("confidence*")) == [
        "confidence.json",
        "confidence.prefix.json",
    ]
    for args, needle in [
        ((), "give source paths"),
        (("--limit", "5", str(tmp_path)), "--limit"),
        (("--from-runs", str(tmp_path / "missing.jsonl"), "--dry-run"), "missing.jsonl"),
        ((str(tmp_path / "nowhere"),), "no such file or directory"),
        (
            ("--from-runs", str(runs), "--dry-run", "--compare", str(tmp_path / "no.json")),
            "no.json",
        ),
    ]:
        bad = cli("calibrate", *args)
        assert bad.returncode == 2, (args, bad.stdout, bad.stderr)
        assert needle in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
