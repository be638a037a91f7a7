"""Line completion on the user's own code: random lines, cut at a random column.

"How good is this model on my code?" The suite picks source lines of a local repository at
random (seeded), cuts each one at a random column inside its code, and asks for the rest of
the line (``hole="rest"``), with the rest of the file after the cursor as the suffix; or
(``hole="span"``) for a piece in the middle of the line, so that code follows the cursor on
its own line — where a model that reads the text after the cursor (fill-in-the-middle) should
beat one that does not. It is scored by exact match and edit similarity; nothing is executed.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

from completion import Mode

from .tasks import Task

MAX_FILE_BYTES = 200_000
MAX_FILES = 5_000
MIN_CODE_CHARS = 6  # lines shorter than this (after indentation) are too trivial to ask for
SKIP_DIRS = {
    "node_modules",
    "__pycache__",
    "venv",
    ".venv",
    "build",
    "dist",
    "target",
    "site-packages",
}


def source_files(root: Path) -> list[Path]:
    """Files of a known language under ``root``: git's tracked files, else a filtered walk."""
    from grammars import language_for

    root = root.resolve()
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z"],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.decode("utf-8", "replace")
        paths = [root / p for p in out.split("\0") if p]
    except (OSError, subprocess.SubprocessError) as exc:
        # Said, because the walk can take files git would not (build output, untracked files).
        why = (
            "git is not installed"
            if isinstance(exc, OSError)
            else "git ls-files timed out"
            if isinstance(exc, subprocess.TimeoutExpired)
            else "not a git checkout"
        )
        print(f"note: {root}: {why}; taking its files by walking it", file=sys.stderr)
        paths = [
            p
            for p in root.rglob("*")
            if not any(
                part.startswith(".") or part in SKIP_DIRS for part in p.relative_to(root).parts
            )
        ]
    files = [
        p
        for p in sorted(paths)
        if p.is_file() and language_for(None, p.name) and p.stat().st_size <= MAX_FILE_BYTES
    ]
    return files[:MAX_FILES]


def _cut(line: str, rng: random.Random) -> int | None:
    """A column inside the line's code: at least one code character on each side."""
    code = line.rstrip()
    start = len(code) - len(code.lstrip())
    if len(code) - start < MIN_CODE_CHARS:
        return None
    return rng.randint(start + 1, len(code) - 1)


HOLES = ("rest", "span")


def code_lines(files: list[Path]) -> list[tuple[Path, str, int]]:
    """(file, its text, start offset) of every line with enough code to ask for; unreadable
    files are skipped."""
    lines: list[tuple[Path, str, int]] = []
    for f in files:
        try:
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        pos = 0
        for line in text.split("\n"):
            if len(line.strip()) >= MIN_CODE_CHARS:
                lines.append((f, text, pos))
            pos += len(line) + 1
    return lines


def _span(line: str, rng: random.Random) -> tuple[int, int] | None:
    """A piece inside the line's code with at least two code characters left after it."""
    code = line.rstrip()
    start = len(code) - len(code.lstrip())
    if len(code) - start < MIN_CODE_CHARS + 2:
        return None
    col = rng.randint(start + 1, len(code) - 3)
    end = rng.randint(col + 1, len(code) - 2)
    return col, end


def line_tasks(root: str | Path, limit: int | None, seed: int, hole: str = "rest") -> list[Task]:
    """Up to ``limit`` tasks (default 200) from lines picked uniformly across the repository."""
    if hole not in HOLES:
        raise ValueError(f"lines hole must be one of {list(HOLES)}, got {hole!r}")
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"not a directory: {root}")
    rng = random.Random(seed)
    lines = code_lines(source_files(root))
    picked = rng.sample(lines, min(len(lines), limit or 200))
    tasks = []
    for f, text, start in picked:
        end = text.find("\n", start)
        line = text[start : len(text) if end == -1 else end]
        if hole == "span":
            cut = _span(line, rng)
            if cut is None:
                continue
            col, end_col = cut
        else:
            col = _cut(line, rng)  # type: ignore[assignment]
            if col is None:
                continue
            end_col = len(line.rstrip())
        target = line[col:end_col]
        rel = f.relative_to(root.resolve()).as_posix()
        doc = text[: start + col] + text[start + end_col :]
        tasks.append(
            Task(
                id=f"lines/{rel}:{text.count(chr(10), 0, start) + 1}:{col + 1}",
                text=doc,
                offset=start + col,
                target=target,
                path=rel,
                mode=Mode.LINE,
            )
        )
    return tasks
