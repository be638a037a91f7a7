"""The lines suite: random lines of a repository, cut inside their code."""

from __future__ import annotations

from pathlib import Path

from bench.lines import line_tasks, source_files


def make_repo(root: Path) -> None:
    (root / "pkg").mkdir()
    (root / "pkg" / "a.py").write_text("import os\n\n\ndef main():\n    return os.getcwd()\n")
    (root / "pkg" / "b.ts").write_text("export const answer: number = 42;\nconsole.log(answer);\n")
    (root / "notes.txt").write_text("not code at all, long enough line\n")
    (root / "node_modules").mkdir()
    (root / "node_modules" / "x.js").write_text("module.exports = 1234567;\n")


def test_tasks_cut_lines_of_known_languages(tmp_path: Path, capsys) -> None:
    make_repo(tmp_path)
    names = sorted(p.name for p in source_files(tmp_path))
    assert names == ["a.py", "b.ts"]
    # Not a git checkout: the files come from a walk, and the user is told so in one line.
    note = capsys.readouterr().err.strip().splitlines()
    assert note == [
        f"note: {tmp_path.resolve()}: not a git checkout; taking its files by walking it"
    ]
    tasks = line_tasks(tmp_path, limit=50, seed=0)
    assert tasks and len(tasks) == len({t.id for t in tasks})
    for t in tasks:
        original = (tmp_path / t.path).read_text()
        assert t.filled(t.target) == original
        line_start = t.text.rfind("\n", 0, t.offset) + 1
        assert t.text[line_start : t.offset].strip()  # some code before the cursor
        assert t.target.strip() and "\n" not in t.target
    assert [t.id for t in line_tasks(tmp_path, 50, 0)] == [t.id for t in tasks]  # seeded


def test_span_holes_leave_code_after_the_cursor(tmp_path: Path) -> None:
    make_repo(tmp_path)
    tasks = line_tasks(tmp_path, limit=50, seed=1, hole="span")
    assert tasks
    for t in tasks:
        assert t.filled(t.target) == (tmp_path / t.path).read_text()
        rest = t.text[t.offset :].split("\n", 1)[0]
        assert len(rest.strip()) >= 1 and t.target and "\n" not in t.target
