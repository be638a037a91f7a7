"""Every bad command line a new user was seen to type ends in one line on stderr and exit code 2,
naming the bad value — never a traceback (in-process through ``main``; ``serve`` and one
``complete`` case as a subprocess, as a user runs them)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import as_user
from cli_runner import cli as in_process

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "greeter.py")
AT = ("--line", "10", "--column", "16")


def cli(*args: str) -> subprocess.CompletedProcess:
    """``serve`` sets up logging and sockets for a process of its own: run as a user would."""
    return as_user(*args) if args[0] == "serve" else in_process(*args)


def one_line_error(r: subprocess.CompletedProcess, *needles: str) -> None:
    lines = [ln for ln in r.stderr.strip().splitlines() if "[ctranslate2]" not in ln]
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "error" in lines[0] and all(n in lines[0] for n in needles), lines[0]


@pytest.fixture(scope="module")
def a_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("f") / "plain-file"
    path.write_text("x")
    return path


CASES = {
    "complete --threads -1": (("complete", EXAMPLE, *AT, "--threads", "-1"), ("--threads", "-1")),
    "complete --show 0": (("complete", EXAMPLE, *AT, "--show", "0"), ("--show", "0")),
    "complete -n 99": (("complete", EXAMPLE, *AT, "-n", "99"), ("-n", "99")),
    "complete --language bogus": (
        ("complete", EXAMPLE, *AT, "--language", "bogus"),
        ("bogus", "python"),
    ),
    "complete --device tpu": (("complete", EXAMPLE, *AT, "--device", "tpu"), ("tpu",)),
    "complete, line outside": (("complete", EXAMPLE, "--line", "999", "--column", "1"), ("999",)),
    "complete on a folder": (
        ("complete", str(Path(EXAMPLE).parent), *AT),
        ("cannot read", "Is a directory"),
    ),
    "complete on a binary file": (("complete", sys.executable, *AT), ("not UTF-8 text",)),
    "models check --device tpu": (("models", "check", EXAMPLE, "--device", "tpu"), ("tpu",)),
    "serve --port 99999": (("serve", "--tcp", "--port", "99999"), ("99999",)),
    "serve --host unknown": (
        ("serve", "--tcp", "--host", "no.such.host.invalid", "--port", "45995"),
        ("no.such.host.invalid",),
    ),
    "serve --log-file in a missing folder": (
        ("serve", "--log-file", "/nonexistent-dir/log.txt"),
        ("/nonexistent-dir/log.txt",),
    ),
    "report --file binary": (("report", "--file", sys.executable), ("not a telemetry file",)),
    "report --file folder": (("report", "--file", str(Path(EXAMPLE).parent)), ("not a file",)),
    "bench --confidence missing": (
        ("bench", "--suite", "flags", "--confidence", "/nonexistent.json"),
        ("/nonexistent.json",),
    ),
    "bench --limit -5": (("bench", "--suite", "flags", "--limit", "-5"), ("--limit", "-5")),
    "bench --threads -1": (("bench", "--suite", "flags", "--threads", "-1"), ("--threads",)),
    "bench --prompt-format bogus": (
        ("bench", "--suite", "flags", "--prompt-format", "bogus"),
        ("bogus",),
    ),
    "bench --replay-settings bad option": (
        ("bench", "--suite", "latency", "--replay-settings", '{"automatic": {"promptTokens": -3}}'),
        ("--replay-settings", "promptTokens must be >= 0"),
    ),
    # Sampling options: a seed CTranslate2 cannot take and calibrate's --threads -1 were
    # tracebacks; a bad temperature or top-p was one line that did not say which was bad.
    "complete --seed -1": (("complete", EXAMPLE, *AT, "--seed", "-1"), ("--seed", "-1")),
    "complete --seed 2**32": (
        ("complete", EXAMPLE, *AT, "--seed", "4294967296"),
        ("--seed", "4294967296"),
    ),
    "complete --top-p 0": (("complete", EXAMPLE, *AT, "--top-p", "0"), ("--top-p", "0")),
    "complete --temperature nan": (
        ("complete", EXAMPLE, *AT, "--temperature", "nan"),
        ("--temperature", "nan"),
    ),
    "bench --temperature 3": (
        ("bench", "--suite", "flags", "--temperature", "3"),
        ("--temperature", "3"),
    ),
    "bench --timeout -1": (("bench", "--suite", "flags", "--timeout", "-1"), ("--timeout", "-1")),
    "bench --request-timeout 0": (
        ("bench", "--suite", "flags", "--request-timeout", "0"),
        ("--request-timeout", "0"),
    ),
    "calibrate --threads -1": (
        ("calibrate", "--dry-run", "--threads", "-1", EXAMPLE),
        ("--threads", "-1"),
    ),
    "calibrate --seed -1": (("calibrate", "--dry-run", "--seed", "-1", EXAMPLE), ("--seed", "-1")),
    "calibrate --device tpu": (
        ("calibrate", "--dry-run", "--device", "tpu", EXAMPLE),
        ("--device", "tpu"),
    ),
    "calibrate -n 0": (("calibrate", "--dry-run", "-n", "0", EXAMPLE), ("-n", "0")),
    "calibrate --limit 5": (("calibrate", "--dry-run", "--limit", "5", EXAMPLE), ("--limit",)),
    "calibrate --prompt-format bogus": (
        ("calibrate", "--prompt-format", "bogus", EXAMPLE),
        ("--prompt-format", "bogus"),
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_gives_one_line_and_exit_code_2(case: str) -> None:
    args, needles = CASES[case]
    one_line_error(cli(*args), *needles)


def test_the_console_command_gives_the_same_one_line() -> None:
    args, needles = CASES["complete --threads -1"]
    one_line_error(as_user(*args), *needles)


def test_bench_out_under_a_file(a_file: Path) -> None:
    r = cli("bench", "--suite", "flags", "--out", str(a_file / "sub"))
    one_line_error(r, str(a_file), "not a directory")


def test_serve_on_a_port_in_use() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = cli("serve", "--tcp", "--port", str(port))
    one_line_error(r, str(port), "in use")


def test_calibrate_on_files_the_model_does_not_complete(tmp_path: Path) -> None:
    """The shipped model declares Python only: JavaScript files are not masked for it."""
    (tmp_path / "app.js").write_text("function f(a) {\n  return a + 1;\n}\n" * 20)
    r = cli("calibrate", "--dry-run", str(tmp_path / "app.js"))
    one_line_error(r, "no source files in the model's languages (python)")
