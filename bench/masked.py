"""Masked-line tasks for fitting a model's calibration: whole lines and cut lines of given files.

Calibration must be fitted on data that no reported benchmark uses (for the shipped model: the
training corpus's held-out files). The tasks mix the three cursor positions users meet and
the benchmarks report:

- ``official`` - a whole line and its newline are the hole, the cursor at column 0 in front
  of the next line's code (OpenAI's HumanEval infilling placement);
- ``editor`` - a whole line is missing and the cursor sits on the empty line it left;
- ``cut`` - a line cut at a random column inside its code, the rest of the line is the hole
  (the ``lines`` suite).
"""

from __future__ import annotations

import random
from collections.abc import Collection
from pathlib import Path

from .lines import _cut, code_lines, source_files
from .tasks import Task

PLACEMENT_SHARES = (("official", 0.4), ("cut", 0.4), ("editor", 0.2))


def _files(paths: list[Path], languages: Collection[str] | None = None) -> list[Path]:
    from grammars import language_for

    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += source_files(p)
        elif p.is_file() and language_for(None, p.name):
            out.append(p)
        elif not p.exists():
            raise ValueError(f"no such file or directory: {p}")
    if not out:
        raise ValueError("no source files of a known language under the given paths")
    if languages is not None:
        # A model declares its languages and refuses others: mask only what it would complete.
        out = [p for p in out if (spec := language_for(None, p.name)) and spec.name in languages]
        if not out:
            raise ValueError(
                f"no source files in the model's languages ({', '.join(sorted(languages))}) "
                "under the given paths"
            )
    return sorted(set(out))


def _task(path: Path, text: str, start: int, kind: str, rng: random.Random) -> Task | None:
    end = text.find("\n", start)
    end = len(text) if end == -1 else end
    line = text[start:end]
    where = f"{path.as_posix()}:{text.count(chr(10), 0, start) + 1}"
    if kind == "cut":
        col = _cut(line, rng)
        if col is None:
            return None
        doc = text[: start + col] + text[start + len(line.rstrip()) :]
        return Task(f"cut/{where}:{col + 1}", doc, start + col, line[col:].rstrip(), path.name)
    if kind == "official":
        stop = min(len(text), end + 1)
        return Task(
            f"official/{where}", text[:start] + text[stop:], start, text[start:stop], path.name
        )
    return Task(f"editor/{where}", text[:start] + text[end:], start, line.rstrip(), path.name)


def calibration_tasks(
    paths: list[str | Path], limit: int, seed: int, languages: Collection[str] | None = None
) -> list[Task]:
    """``limit`` seeded tasks from lines of code under ``paths``, placements mixed as above;
    only files in ``languages`` (the model's declared ones) when given."""
    rng = random.Random(seed)
    lines = code_lines(_files([Path(p) for p in paths], languages))
    if not lines:
        raise ValueError("no lines of code to mask under the given paths")
    kinds = [k for k, _ in PLACEMENT_SHARES]
    weights = [w for _, w in PLACEMENT_SHARES]
    tasks: list[Task] = []
    for f, text, start in rng.sample(lines, min(len(lines), limit)):
        task = _task(f, text, start, rng.choices(kinds, weights)[0], rng)
        if task is not None:
            tasks.append(task)
    return tasks
