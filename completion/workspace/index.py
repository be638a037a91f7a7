"""The workspace index: every definition of the workspace's source files by name, and Python
modules by dotted name, bounded in bytes, built once and updated one file at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grammars.definitions import Definition, Import, definitions, parse, python_imports

from .files import FileLimits, IgnoreRules, indexable, walk

DEFAULT_MAX_BYTES = 32_000_000
_PY_SUFFIXES = (".py", ".pyi")


@dataclass(frozen=True, slots=True, kw_only=True)
class FileEntry:
    """One indexed file: its definitions, and for Python its dotted module name and imports."""

    path: str  # posix, relative to the workspace root
    language: str
    module: str  # "pkg.sub.mod" ("" outside Python)
    mtime_ns: int
    definitions: tuple[Definition, ...]
    imports: tuple[Import, ...]

    @property
    def cost(self) -> int:
        """Approximate bytes held, with the name and module tables' share."""
        names = sum(d.cost + 100 for d in self.definitions)
        imports = sum(120 + len(i.module) + len(i.name) + len(i.bound) for i in self.imports)
        return 400 + 3 * len(self.path) + names + imports


@dataclass(frozen=True, slots=True, kw_only=True)
class Found:
    """A definition and the file it is in."""

    path: str
    definition: Definition


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexStats:
    """What a build did: files and definitions kept, bytes held, files left out by the cap."""

    files: int
    definitions: int
    bytes: int
    over_cap: int
    seconds: float


def module_name(rel: str) -> str:
    """``pkg/sub/mod.py`` -> ``pkg.sub.mod``; ``pkg/__init__.py`` -> ``pkg``; "" for non-Python."""
    if not rel.endswith(_PY_SUFFIXES):
        return ""
    parts = rel.rsplit(".", 1)[0].split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


class WorkspaceIndex:
    """Definitions of a workspace's files; thread-safe (built off the event loop, read by the
    model thread).

    Args:
        root: the workspace folder.
        max_bytes: memory bound: files that would take the index past it are left out (and
            counted in ``over_cap``); the user's size cap.
        limits: per-file size cap and file count cap.
    """

    def __init__(
        self,
        root: str | Path,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        limits: FileLimits | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self.max_bytes = max_bytes
        self.limits = limits or FileLimits()
        self.rules = IgnoreRules(self.root)
        self.bytes = 0
        self.over_cap = 0
        self._files: dict[str, FileEntry] = {}
        self._names: dict[str, list[str]] = {}  # name -> paths defining it
        self._modules: dict[str, list[str]] = {}  # dotted name and its tails -> paths
        self._lock = threading.Lock()

    def relative(self, path: str | Path) -> str | None:
        """``path`` (absolute, or relative to the root) relative to the root, as posix; None
        when it lies outside."""
        p = Path(path)
        try:
            return (
                (p if p.is_absolute() else self.root / p)
                .resolve()
                .relative_to(self.root)
                .as_posix()
            )
        except ValueError:
            return None

    def build(
        self,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> IndexStats:
        """Reads every indexable file (see ``files.walk``); ``progress(done, total)`` is called
        every 100 files; a set ``cancel`` stops early with what was read."""
        t0 = time.perf_counter()
        paths = list(walk(self.root, self.rules, self.limits))
        for k, (rel, language) in enumerate(paths):
            if cancel is not None and cancel.is_set():
                break
            self._read(rel, language)
            if progress is not None and (k % 100 == 99 or k == len(paths) - 1):
                progress(k + 1, len(paths))
        return self.stats(time.perf_counter() - t0)

    def stats(self, seconds: float = 0.0) -> IndexStats:
        with self._lock:
            n_defs = sum(len(e.definitions) for e in self._files.values())
            return IndexStats(
                files=len(self._files),
                definitions=n_defs,
                bytes=self.bytes,
                over_cap=self.over_cap,
                seconds=seconds,
            )

    def update(self, path: str | Path) -> bool:
        """Re-reads one file after a save or a change on disk; drops it when it is gone,
        ignored or too big. Returns whether the file is in the index afterwards."""
        rel = self.relative(path)
        if rel is None:
            return False
        if rel.rsplit("/", 1)[-1] == ".gitignore":
            self.rules.forget(rel.rpartition("/")[0])
            return False
        language = indexable(self.root, rel, self.rules, self.limits)
        if language is None:
            self.remove(path)
            return False
        return self._read(rel, language)

    def remove(self, path: str | Path) -> None:
        """Forgets a deleted (or newly ignored) file."""
        rel = self.relative(path)
        with self._lock:
            if rel is not None:
                self._drop(rel)

    def _read(self, rel: str, language: str) -> bool:
        full = self.root / rel
        try:
            mtime = full.stat().st_mtime_ns
            text = full.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
        parsed = parse(text, language)
        entry = FileEntry(
            path=rel,
            language=language,
            module=module_name(rel),
            mtime_ns=mtime,
            definitions=tuple(definitions(text, language, parsed)),
            imports=tuple(python_imports(text, parsed)) if language == "python" else (),
        )
        with self._lock:
            self._drop(rel)
            if self.bytes + entry.cost > self.max_bytes:
                self.over_cap += 1
                return False
            self._files[rel] = entry
            self.bytes += entry.cost
            for name in {d.name for d in entry.definitions}:
                self._names.setdefault(name, []).append(rel)
            parts = entry.module.split(".") if entry.module else []
            for k in range(len(parts)):
                self._modules.setdefault(".".join(parts[k:]), []).append(rel)
        return True

    def _drop(self, rel: str) -> None:
        old = self._files.pop(rel, None)
        if old is None:
            return
        self.bytes -= old.cost
        parts = old.module.split(".") if old.module else []
        keys = [(self._names, d.name) for d in old.definitions]
        keys += [(self._modules, ".".join(parts[k:])) for k in range(len(parts))]
        for table, key in keys:
            paths = table.get(key)
            if paths and rel in paths:
                paths.remove(rel)
                if not paths:
                    del table[key]

    def __len__(self) -> int:
        return len(self._files)

    def paths(self) -> list[str]:
        """The indexed files (relative posix paths), sorted."""
        with self._lock:
            return sorted(self._files)

    def entry(self, rel: str) -> FileEntry | None:
        with self._lock:
            return self._files.get(rel)

    def named(self, name: str, language: str | None = None) -> list[Found]:
        """Every definition called ``name`` (in files of ``language`` if given), in path order."""
        with self._lock:
            paths = list(self._names.get(name, ()))
            entries = [self._files[p] for p in paths]
        if language is not None:
            entries = [e for e in entries if e.language == language]
        return [
            Found(path=e.path, definition=d)
            for e in sorted(entries, key=lambda e: e.path)
            for d in e.definitions
            if d.name == name
        ]

    def module(self, module: str, *, importer: str = "", level: int = 0) -> FileEntry | None:
        """The file of a Python module as ``importer`` imports it (``level`` leading dots);
        with several candidates, the one sharing most directories with the importer."""
        if level:
            package = module_name(importer).split(".")
            if not importer.endswith(("__init__.py", "__init__.pyi")):
                package = package[:-1]
            package = package[: len(package) - (level - 1)] if level > 1 else package
            module = ".".join([*package, module] if module else package)
        with self._lock:
            paths = list(self._modules.get(module, ()))
            if not paths:
                return None
            here = importer.split("/")

            def shared(p: str) -> int:
                return sum(1 for a, b in zip(here, p.split("/")) if a == b)

            return self._files[max(sorted(paths), key=shared)]
