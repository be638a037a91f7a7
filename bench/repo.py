"""Repository tasks: lines that use a name defined in another file of the repository.

For each Python file the suite resolves its imports against the workspace index (the same
resolver the server's retrieval uses): names imported from another file of the repository
(``from .util import load``), and names reached through an imported module (``util.load``).
A line that uses one becomes a task: the cursor sits right before the first such name on the
line (or ``typed`` characters into it: the user paused after typing them), and the hole is
the rest of the line. Imports, ``def``/``class`` headers, decorators,
comments and strings are left out. Each task also names the files a user would plausibly
have open beside it: up to three other Python files of the same directory (seeded).
"""

from __future__ import annotations

import bisect
import random
import re
from dataclasses import dataclass
from pathlib import Path

import tree_sitter

from completion import Mode
from completion.workspace import Resolver, WorkspaceIndex

from .tasks import Task

OPEN_FILES = 3
_SKIP_STARTS = ("import ", "from ", "#", "def ", "async def ", "class ", "@")
MIN_TARGET = 3  # characters of hole at least


@dataclass(frozen=True, slots=True, kw_only=True)
class RepoTask:
    """A masked line: ``name`` is the cross-file name at the cursor; ``open_files`` the other
    files (relative paths) that count as open tabs for the ``open-files`` context."""

    task: Task
    name: str
    open_files: tuple[str, ...]


def _cross_names(index: WorkspaceIndex, rel: str) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Names bound by imports that resolve to another file's definition (bound -> defined
    name), and module aliases with the top-level names of their module."""
    entry = index.entry(rel)
    if entry is None:
        return {}, {}
    res = Resolver(index, rel, list(entry.imports), entry.language)
    names: dict[str, str] = {}
    modules: dict[str, set[str]] = {}
    for imp in entry.imports:
        found = res.name(imp.bound) if imp.name else []
        if any(f.path != rel for f in found):
            names[imp.bound] = imp.name
        elif (module := res.module_of(imp)) is not None and module.path != rel:
            if imp.name or "." not in imp.module:  # `import a.b` binds `a`, not the module
                tops = {d.name for d in module.definitions if not d.container}
                modules[imp.bound] = tops
    return names, modules


_NOT_CODE = "[(import_statement) (import_from_statement) (string) (comment)] @skip"


def _not_code(text: str) -> list[tuple[int, int]]:
    """Character ranges of imports, strings and comments: names there are not uses."""
    from grammars import get_language, get_parser

    source = text.encode("utf-8", "surrogatepass")
    tree = get_parser("python").parse(source)
    query = tree_sitter.Query(get_language("python"), _NOT_CODE)
    nodes = tree_sitter.QueryCursor(query).captures(tree.root_node).get("skip", [])
    spans = sorted((n.start_byte, n.end_byte) for n in nodes)
    if text.isascii():
        return spans
    return [
        (len(source[:a].decode("utf-8", "replace")), len(source[:b].decode("utf-8", "replace")))
        for a, b in spans
    ]


def _in_code(spans: list[tuple[int, int]], pos: int) -> bool:
    k = bisect.bisect_right(spans, (pos, 1 << 62)) - 1
    return k < 0 or not spans[k][0] <= pos < spans[k][1]


def _first_use(
    line: str, start: int, spans: list[tuple[int, int]], names: dict[str, str],
    modules: dict[str, set[str]],
) -> tuple[int, str]:  # fmt: skip
    """(column, name) of the first cross-file name on ``line``; (-1, "") when none."""
    best = (-1, "")
    for m in re.finditer(r"(?<![\w.])([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?", line):
        bound, attr = m.group(1), m.group(2)
        if bound in names:
            hit = (m.start(1), bound)
        elif attr and attr in modules.get(bound, ()):
            hit = (m.start(2), attr)
        else:
            continue
        if _in_code(spans, start + hit[0]):
            return hit
    return best


def repo_tasks(
    root: str | Path,
    limit: int | None,
    seed: int,
    index: WorkspaceIndex | None = None,
    typed: int = 0,
) -> list[RepoTask]:
    """Up to ``limit`` (default 200) seeded tasks from the Python files under ``root``; with
    ``typed`` > 0 the first characters of the name are already typed (at most all but one)."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"not a directory: {root}")
    if index is None:
        index = WorkspaceIndex(root)
        index.build()
    rng = random.Random(seed)
    pool: list[tuple[str, str, int, int, str]] = []  # (file, text, line start, column, name)
    py_files = [p for p in index.paths() if p.endswith(".py")]
    for rel in py_files:
        names, modules = _cross_names(index, rel)
        if not names and not modules:
            continue
        try:
            text = (index.root / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        start, spans = 0, _not_code(text)
        for line in text.split("\n"):
            if not line.lstrip().startswith(_SKIP_STARTS):
                col, name = _first_use(line, start, spans, names, modules)
                if col >= 0 and len(line.rstrip()) - col >= max(MIN_TARGET, len(name)):
                    pool.append((rel, text, start, col, name))
            start += len(line) + 1
    picked = rng.sample(pool, min(len(pool), limit or 200))
    tasks = []
    for rel, text, start, col, name in picked:
        end = text.find("\n", start)
        end = len(text) if end == -1 else end
        line_no = text.count("\n", 0, start) + 1
        task_id = f"repo/{rel}:{line_no}:{col + 1}"
        cut = start + col + min(typed, len(name) - 1)
        here = rel.rpartition("/")[0]
        siblings = [p for p in py_files if p != rel and p.rpartition("/")[0] == here]
        chooser = random.Random(f"{seed}/{task_id}")
        open_files = tuple(sorted(chooser.sample(siblings, min(OPEN_FILES, len(siblings)))))
        task = Task(
            id=task_id,
            text=text[:cut] + text[end:],
            offset=cut,
            target=text[cut:end].rstrip(),
            path=rel,
            mode=Mode.LINE,
        )
        tasks.append(RepoTask(task=task, name=name, open_files=open_files))
    return tasks
