"""scripts/ct2_steps.py: raw CTranslate2 prefill and step times, as docs/benchmark.md runs it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from completion.engine import DEFAULT_MODEL_DIR

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ct2_steps.py"


def run(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True
    )


def test_times_a_step_for_one_three_and_four_sequences() -> None:
    done = run(DEFAULT_MODEL_DIR, "--prompt-tokens", 40, "--repeat", 1)
    assert done.returncode == 0, done.stderr
    assert "40-token prompt, 1 thread(s), int8" in done.stdout
    rows = re.findall(
        r"(\d) sequence\(s\): prefill \+ 1 token (\d+) ms, step (-?[\d.]+) ms", done.stdout
    )
    assert [n for n, _, _ in rows] == ["1", "3", "4"], done.stdout
    assert all(int(prefill) >= 0 for _, prefill, _ in rows)


def test_a_folder_without_a_model_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = run(tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == f"ct2_steps.py: no model.bin in {tmp_path}"


def test_bad_options_are_one_line_and_exit_2() -> None:
    unsupported = run(DEFAULT_MODEL_DIR, "--compute-type", "bogus", "--repeat", 1)
    assert unsupported.returncode == 2
    assert unsupported.stderr.startswith("ct2_steps.py: ") and "bogus" in unsupported.stderr
    assert len(unsupported.stderr.strip().splitlines()) == 1
    zero = run(DEFAULT_MODEL_DIR, "--repeat", 0)  # each count is checked the same way
    assert zero.returncode == 2
    assert zero.stderr.strip() == (
        "ct2_steps.py: error: argument --repeat: --repeat must be at least 1, not 0 (see --help)"
    )
