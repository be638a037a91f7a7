"""Neighbouring-tabs grounding: the windows of other open files most similar to the code at the
cursor, by token Jaccard similarity (as Copilot's neighbouring-tabs context does).

Pure Python with no LSP types, so the benchmark can measure its effect with the same code.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")


def tokens(text: str) -> frozenset[str]:
    """The identifier and number tokens of ``text``, as a set."""
    return frozenset(_TOKEN.findall(text))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


@dataclass(frozen=True, slots=True)
class Window:
    """A run of lines from one file and its token set."""

    text: str
    tokens: frozenset[str]


@dataclass(frozen=True, slots=True)
class Neighbour:
    """Another open file: a stable key (URI), its version, a display name and its text."""

    key: str
    version: int
    name: str
    text: str


@dataclass(frozen=True, slots=True)
class Snippet:
    name: str
    text: str
    score: float

    def as_context(self) -> str:
        return f"Compare this snippet from {self.name}:\n{self.text.rstrip()}"


def windows(text: str, size: int) -> list[Window]:
    """Windows of ``size`` lines, overlapping by half, covering ``text``."""
    lines = text.splitlines(keepends=True)
    step = max(1, size // 2)
    out = []
    for start in range(0, max(1, len(lines) - size + step), step):
        chunk = "".join(lines[start : start + size])
        if chunk.strip():
            out.append(Window(chunk, tokens(chunk)))
    return out


class NeighbourIndex:
    """Caches the windows of each file version, so a keystroke re-tokenises only its own file."""

    def __init__(self, capacity: int = 64) -> None:
        self._cache: OrderedDict[tuple[str, int, int], list[Window]] = OrderedDict()
        self._capacity = capacity

    def _windows(self, n: Neighbour, size: int) -> list[Window]:
        key = (n.key, n.version, size)
        found = self._cache.get(key)
        if found is None:
            found = windows(n.text, size)
            self._cache[key] = found
            while len(self._cache) > self._capacity:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return found

    def snippets(
        self,
        text: str,
        offset: int,
        others: Iterable[Neighbour],
        *,
        window_lines: int = 20,
        max_snippets: int = 2,
        min_similarity: float = 0.1,
        max_chars: int = 1200,
    ) -> tuple[Snippet, ...]:
        """The best window of each other file, most similar first, within ``max_chars``.

        Args:
            text, offset: the current document and the cursor (str offset).
            others: the other open files of the same language.
            window_lines: lines per window; the query is as many lines before the cursor.
            max_snippets: how many snippets at most.
            min_similarity: windows scoring below this are not used.
            max_chars: the snippets' total size (the prompt builder trims by tokens too).

        Returns:
            Snippets, best first.
        """
        if max_snippets <= 0 or max_chars <= 0:
            return ()
        head = text[:offset].splitlines()[-window_lines:]
        query = tokens("\n".join(head))
        if not query:
            return ()
        best: list[Snippet] = []
        for n in others:
            scored = [(jaccard(query, w.tokens), w) for w in self._windows(n, window_lines)]
            if scored:
                score, w = max(scored, key=lambda sw: sw[0])
                if score >= min_similarity:
                    best.append(Snippet(n.name, w.text, score))
        best.sort(key=lambda s: -s.score)
        out: list[Snippet] = []
        used = 0
        for s in best:
            if len(out) == max_snippets:
                break
            if used + len(s.text) <= max_chars:
                out.append(s)
                used += len(s.text)
        return tuple(out)
