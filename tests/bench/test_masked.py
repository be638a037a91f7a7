"""Calibration tasks: masked lines of given files, in the three placements users meet."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.masked import calibration_tasks

SOURCE = "import os\n\n\ndef main(path):\n    full = os.path.join(path, 'x')\n    return full\n"


def test_every_task_fills_back_and_all_placements_occur(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"m{i}.py").write_text(SOURCE.replace("main", f"main{i}"))
    tasks = calibration_tasks([tmp_path], 60, seed=0)
    assert {t.id.split("/")[0] for t in tasks} == {"official", "cut", "editor"}
    for t in tasks:
        original = (tmp_path / Path(t.id.split("/", 1)[1].rsplit(":", 2)[0]).name).read_text()
        assert t.filled(t.target) == original
        if t.id.startswith("official/"):
            assert t.target.endswith("\n") and (t.offset == 0 or t.text[t.offset - 1] == "\n")
    assert [t.id for t in calibration_tasks([tmp_path], 60, seed=0)] == [t.id for t in tasks]


def test_missing_paths_and_no_code_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such file"):
        calibration_tasks([tmp_path / "nope"], 10, 0)
    (tmp_path / "notes.txt").write_text("words\n")
    with pytest.raises(ValueError, match="no source files"):
        calibration_tasks([tmp_path], 10, 0)


def test_only_the_models_languages_are_masked(tmp_path: Path) -> None:
    """A Python-only model refuses JavaScript, so its lines are not masked for it."""
    (tmp_path / "m.py").write_text(SOURCE)
    (tmp_path / "app.js").write_text("const x = require('y');\nfunction f(a) {\n  return a;\n}\n")
    mixed = calibration_tasks([tmp_path], 60, seed=0)
    assert any("app.js" in t.id for t in mixed)
    python = calibration_tasks([tmp_path], 60, seed=0, languages=("python",))
    assert python and all("m.py" in t.id for t in python)
    with pytest.raises(ValueError, match=r"no source files in the model's languages \(rust\)"):
        calibration_tasks([tmp_path], 60, seed=0, languages=("rust",))
