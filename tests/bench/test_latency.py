"""The latency suite's workloads on the shipped model (small: the figures come from the CLI)."""

from __future__ import annotations

import asyncio
import shlex
import subprocess
import sys
from pathlib import Path

from bench.humaneval import humaneval_tasks
from bench.latency import cold_requests, requests_for
from lsp_server.cli import build_parser
from lsp_server.cli.latency import command_of, markdown, replay_row
from lsp_server.replay import replay, typing_session
from tests.cli.cli_runner import cli

ROOT = Path(__file__).resolve().parents[2]
MACHINE = {"cpu": "cpu", "cores": 2, "python": "3", "ctranslate2": "4", "llama_cpp_python": None}


def test_cold_requests_time_every_method_on_every_prompt(engine) -> None:
    requests = requests_for(humaneval_tasks("single")[:3], max_tokens=16, fixed_length=False)
    out = cold_requests(engine, requests)
    assert out["ours"]["n"] == out["naive"]["n"] == 3
    assert out["ours"]["p50_ms"] > 0 and out["naive"]["p50_ms"] > 0
    assert out["naive"]["tokens_per_candidate"] > 0
    assert 0 <= out["ours"]["rank_share_first"] < 1
    assert out["ratios"]["ours/naive"] > 0


def test_the_typing_session_types_real_lines_after_their_indentation() -> None:
    text = (ROOT / "completion" / "prompt.py").read_text()
    rows = text.split("\n")
    session = typing_session(text, lines=4, seed=3)
    assert len(session) == 4 and session == typing_session(text, lines=4, seed=3)
    for row in session:
        assert rows[row.line].startswith(row.indent + row.chars) and row.chars.strip()


def test_replay_answers_every_keystroke_through_the_real_server(tmp_path) -> None:
    src = tmp_path / "shapes.py"
    src.write_text((ROOT / "tests" / "data" / "lsp" / "shapes.py").read_text())
    text = src.read_text()
    (row,) = typing_session(text, lines=1, seed=0)
    result = asyncio.run(
        replay(src, {"one": {"model": {"threads": 1}}}, lines=1, seed=0, key=0.0, debounce=0.0)
    )
    timings = result["one"]
    # One request after the pause on the emptied line, then one per typed character.
    assert len(timings.latencies) == len(row.chars) + 1
    assert timings.stats["requests"] == len(timings.latencies)
    assert timings.stats["modelCalls"] + timings.stats["typingThrough"] >= 1
    assert timings.rss_mb is None or 20 < timings.rss_mb < 2000
    # The report's row: how many model calls stopped early, and how many requests took over
    # what their keystroke started, are the server's own counts.
    row = replay_row(timings)
    assert row["stopped_early"] == timings.stats["gaveUp"] <= row["model_calls"]
    assert row["started_before_asked"] == timings.stats["speculationsUsed"] <= row["requests"]
    report = {
        "machine": MACHINE,
        "cold": {},
        "replay": {"shapes.py": {"lines": 9, "threads=1": row, "p50_over_cold": 0.3}},
    }
    table = markdown(report, "entropy-complete bench --suite latency")
    assert (
        "| model calls | stopped early | started before asked | answered without the model |"
        in table
    )
    cells = [row["model_calls"], row["stopped_early"], row["started_before_asked"], row["avoided"]]
    assert "| " + " | ".join(map(str, cells)) + " |" in table


def test_the_latency_suite_runs_alone_and_says_so() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "lsp_server", "bench", "--suite", "latency", "--suite", "flags"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert r.stderr.strip() == "entropy-complete: error: the latency suite runs alone"


def test_the_report_names_the_command_that_reruns_it() -> None:
    args = build_parser().parse_args(
        ["bench", "--suite", "latency", "--limit", "3", "--replay-debounce", "200"]
        + ["--replay-settings", '{"speculate": false}']
    )
    command = command_of(args)
    assert shlex.split(command)[1:] == [
        "bench", "--suite", "latency", "--limit", "3", "--replay-lines", "6", "--seed", "0",
        "--replay-debounce", "200", "--replay-settings", '{"speculate":false}',
    ]  # fmt: skip
    report = {"machine": MACHINE, "cold": {}, "replay": {}, "debounce_ms": 200}
    assert "200 ms debounce" in markdown(report, command)


def test_a_bad_debounce_is_one_line_and_exit_code_2() -> None:
    r = cli("bench", "--suite", "latency", "--replay-debounce", "-5")
    assert r.returncode == 2 and "--replay-debounce" in r.stderr and "-5" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
