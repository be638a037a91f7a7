"""Retrieval for a cursor: the workspace definitions the code being written most likely needs,
rendered as context snippets (one per file, headed by its path) within a character budget.

What resolves, best first: the receiver of ``obj.`` (an imported module's names, a class's
methods, a variable's class), the names of the current line and the lines just above it
(bare names through the file's imports; ``.attr`` by name across the workspace's files of the
same language), then the other names the file imports from the workspace, those used most near
the cursor first. Nothing resolved: no snippets, and the caller falls back to its similar-chunk
snippets.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

from completion.types import CompletionRequest
from grammars.definitions import Definition, Import, definitions, python_imports

from .index import FileEntry, Found, WorkspaceIndex

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME = re.compile(r"(\.?)([A-Za-z_][A-Za-z0-9_]*)")  # a name, and the dot before it if any
_TYPED = re.compile(r"(?<![\w.])([A-Za-z_][A-Za-z0-9_]*)$")
_RECEIVER = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\.([A-Za-z0-9_]*)$")
NEAR_LINES = 3  # lines above the cursor whose names count as "the current statement"
QUERY_LINES = 20  # lines above the cursor the imported names are compared with
AMBIGUOUS = 3  # a bare name defined in more files than this is not worth the room


@dataclass(frozen=True, slots=True, kw_only=True)
class Retrieved:
    """What retrieval chose, best first (``found``), in the two prompt placements: file blocks
    headed by their path for the head of the prompt (``snippets``), and one signature per line
    for right above the cursor's line (``hints``); both best last, nearest the cursor and kept
    when the prompt builder cuts from the left."""

    snippets: tuple[str, ...]
    hints: tuple[str, ...]
    found: tuple[Found, ...]

    def apply(self, request: CompletionRequest, *, inline: bool) -> CompletionRequest | None:
        """``request`` grounded: the retrieved definitions replace its similar-chunk snippets,
        as hint lines above the cursor's line (``inline``: what a small prefix-only model
        uses; measured in docs/benchmark.md) or as file blocks at the head of the prompt
        (fill-in-the-middle families, trained on repository layouts). None when nothing
        resolved: the caller keeps its cheap context."""
        if not self.found:
            return None
        if inline:
            return replace(request, hints=self.hints, context_snippets=())
        return replace(request, context_snippets=self.snippets)


class Resolver:
    """Names of one file resolved against the index (Python imports followed once through a
    package's re-exports)."""

    def __init__(
        self, index: WorkspaceIndex, path: str, imports: list[Import], language: str | None
    ) -> None:
        self.index, self.path, self.language = index, path, language
        self.bound = {i.bound: i for i in imports}

    def module_of(self, imp: Import) -> FileEntry | None:
        dotted = imp.module if not imp.name else ".".join(filter(None, (imp.module, imp.name)))
        found = self.index.module(dotted, importer=self.path, level=imp.level)
        if found is None and imp.name == "" and "." in imp.module:
            found = self.index.module(imp.module, importer=self.path, level=imp.level)
        return found

    def in_module(self, entry: FileEntry, name: str, depth: int = 0) -> list[Found]:
        own = [Found(path=entry.path, definition=d) for d in entry.definitions if d.name == name]
        if own or depth:
            return [f for f in own if not f.definition.container]
        for imp in entry.imports:  # `from .core import load` in a package's __init__
            if imp.bound == name and imp.name:
                source = self.index.module(imp.module, importer=entry.path, level=imp.level)
                if source is not None:
                    return self.in_module(source, imp.name, 1)
        return []

    def name(self, name: str, attribute: bool = False) -> list[Found]:
        """Where ``name`` is defined: a bare name through the file's imports (a bare name
        that is not imported is local or built in); an ``attribute`` after a dot anywhere in
        the workspace, in files of the same language, unless too many files define it."""
        imp = self.bound.get(name)
        if imp is not None and not attribute:
            if imp.name:  # from M import name
                source = self.index.module(imp.module, importer=self.path, level=imp.level)
                if source is not None and (found := self.in_module(source, imp.name)):
                    return found
            return []  # a module, or imported from outside the workspace
        if not attribute:
            return []
        found = [f for f in self.index.named(name, self.language) if f.path != self.path]
        return found if len(found) <= AMBIGUOUS else []


def _receiver(res: Resolver, prefix: str, line: str) -> list[Found]:
    m = _RECEIVER.search(line)
    if m is None:
        return []
    chain, typed = m.group(1).split("."), m.group(2)
    head = chain[0]
    imp = res.bound.get(head)
    if imp is not None and (entry := res.module_of(imp)) is not None and len(chain) == 1:
        return [
            Found(path=entry.path, definition=d)
            for d in entry.definitions
            if not d.container and d.name.startswith(typed) and not d.name.startswith("_")
        ]
    # `x = Loader(...)` above, or `Loader.` itself: the class's methods.
    assigned = re.findall(rf"\b{re.escape(chain[-1])}\s*=\s*([A-Za-z_][\w.]*)\(", prefix)
    cls = assigned[-1].rsplit(".", 1)[-1] if assigned else chain[-1]
    out = []
    for f in res.name(cls):
        if f.definition.kind == "class":
            entry = res.index.entry(f.path)
            for d in entry.definitions if entry else ():
                if d.container == cls and d.name.startswith(typed):
                    out.append(Found(path=f.path, definition=d))
    return out


def _size(f: Found, index: WorkspaceIndex) -> int:
    """Characters ``f`` takes rendered (a class with its methods), with its file's header."""
    d = f.definition
    size = len(f.path) + len(d.signature) + len(d.doc) + len(d.container) + 32
    if d.kind == "class" and (init := _constructor(f, index)) is not None:
        size += len(init.signature) + 5
    return size


def _constructor(f: Found, index: WorkspaceIndex) -> Definition | None:
    """A class's ``__init__`` (``constructor`` in JavaScript): what a call site needs."""
    entry = index.entry(f.path)
    for m in entry.definitions if entry else ():
        if m.container == f.definition.name and m.name in ("__init__", "constructor"):
            return m
    return None


def _render(found: list[Found], index: WorkspaceIndex, language: str) -> dict[str, list[str]]:
    """Lines per file: a signature and its doc line; a class with its constructor."""
    by_file: dict[str, list[str]] = {}
    quote = '"""' if language == "python" else ""
    for f in found:
        d = f.definition
        lines = by_file.setdefault(f.path, [])
        indent = "    " if d.container else ""
        if d.container and not any(ln.startswith(f"class {d.container}") for ln in lines):
            lines.append(f"class {d.container}:" if quote else f"class {d.container}")
        lines.append(indent + d.signature)
        if d.doc:
            lines.append(f"{indent}    {quote}{d.doc}{quote}")
        if d.kind == "class" and (init := _constructor(f, index)) is not None:
            lines.append("    " + init.signature)
    return by_file


def retrieve(
    index: WorkspaceIndex, text: str, offset: int, path: str | None, language: str | None,
    *, max_chars: int = 1200, max_hints: int = 3,
) -> Retrieved:  # fmt: skip
    """The definitions the code at ``offset`` needs, as snippets within ``max_chars``.

    Args:
        index: the workspace index.
        text, offset: the document (or its window) and the cursor (str offset).
        path: the document's file path (absolute, or relative to the index root).
        language: its grammar name; only Python resolves imports, others resolve by name.
        max_chars: the snippets' total size.
        max_hints: signatures at most in ``hints`` (each is a prompt line near the cursor).
    """
    rel = (index.relative(path) if path else None) or ""
    prefix = text[:offset]
    lines = prefix.split("\n")
    imports = python_imports(text) if language == "python" else []
    res = Resolver(index, rel, imports, language)
    local = {d.name for d in definitions(text, language)} if language else set()
    ranked: list[Found] = _receiver(res, prefix, lines[-1])
    # A name being typed (``frob|``): the imported names it starts come first.
    typed = _TYPED.search(lines[-1])
    if typed is not None and not ranked:
        for bound in sorted(b for b in res.bound if b.startswith(typed.group(1))):
            ranked += res.name(bound)
    for line in reversed(lines[-NEAR_LINES:]):
        for dot, name in reversed(_NAME.findall(line)):
            if name not in local:
                ranked += res.name(name, attribute=bool(dot))
    # The other imported names: those the code near the cursor uses most, then the file.
    near = Counter(_IDENT.findall("\n".join(lines[-QUERY_LINES:])))
    anywhere = Counter(_IDENT.findall(text))
    rest = []
    for imp in imports:
        if imp.name and imp.bound not in local:
            score = 2 * near[imp.bound] + anywhere[imp.bound]
            rest += [(score, f) for f in res.name(imp.bound)]
    ranked += [f for _, f in sorted(rest, key=lambda sf: -sf[0])]
    chosen: list[Found] = []
    used, seen = 0, set()
    for f in ranked:
        d = f.definition
        key = (f.path, d.container, d.name, d.line)
        size = _size(f, index)
        if key in seen or used + size > max_chars:
            continue
        seen.add(key)
        chosen.append(f)
        used += size
    by_file = _render(chosen, index, language or "")
    # Files in order of their best definition, the best file last: nearest the cursor, and
    # kept when the prompt builder cuts the context from the left.
    order = list(dict.fromkeys(f.path for f in chosen))
    snippets = tuple(f"Path: {p}\n" + "\n".join(by_file[p]) for p in reversed(order))
    hints = tuple(f.definition.signature for f in reversed(chosen[:max_hints]))
    return Retrieved(snippets=snippets, hints=hints, found=tuple(chosen))
