"""Neighbouring-tabs grounding: the windows of other open files most similar to the code at the
cursor, by token Jaccard similarity (as Copilot's neighbouring-tabs context does).

Pure Python with no LSP types, so the benchmark can measure its effect with the same code.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

# How much of each neighbouring file is indexed, and the longest line the query looks at.
FILE_CHARS = 200_000
QUERY_CHARS = 400
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
    """A run of lines of one file version, as [start, end) offsets, its token set, and a key
    of its text (length and hash) by which the next version of the file reuses the set."""

    start: int
    end: int
    tokens: frozenset[str]
    text_key: tuple[int, int]
    cost: int  # approximate bytes held: the set and its strings (a window keeps no text)


def _window(start: int, end: int, chunk: str, known: dict[tuple[int, int], Window]) -> Window:
    key = (len(chunk), hash(chunk))
    same = known.get(key)
    if same is not None:
        return Window(start=start, end=end, tokens=same.tokens, text_key=key, cost=same.cost)
    found = tokens(chunk)
    cost = 200 + sum(len(t) + 80 for t in found)
    return Window(start=start, end=end, tokens=found, text_key=key, cost=cost)


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


def windows(text: str, size: int, before: Iterable[Window] = ()) -> list[Window]:
    """Windows of ``size`` lines, overlapping by half, covering ``text``; a window whose text
    is that of one of ``before`` (the previous version's) takes its token set, so an edit
    re-tokenises only the windows it touched."""
    known = {w.text_key: w for w in before}
    starts = [0, *(m.end() for m in re.finditer("\n", text))]
    if starts[-1] == len(text) and len(starts) > 1:
        starts.pop()  # a final line break does not start a line
    step = max(1, size // 2)
    out = []
    for first in range(0, max(1, len(starts) - size + step), step):
        lo = starts[first] if first < len(starts) else len(text)
        hi = starts[first + size] if first + size < len(starts) else len(text)
        chunk = text[lo:hi]
        if chunk.strip():
            out.append(_window(lo, hi, chunk, known))
    return out


class NeighbourIndex:
    """Caches the windows of each open file's latest version, so a keystroke re-tokenises only
    its own file; bounded in bytes, and a closed file's entry goes with ``forget``.

    Only the first ``file_chars`` characters of a file are indexed: a 10 MB neighbour would
    cost seconds and hundreds of MB for one snippet. Thread-safe (requests compute snippets
    off the event loop).
    """

    def __init__(self, max_bytes: int = 16_000_000, file_chars: int = FILE_CHARS) -> None:
        # key -> (version, windows, bytes); one entry per file and window size.
        self._cache: OrderedDict[tuple[str, int], tuple[int, list[Window], int]] = OrderedDict()
        self.max_bytes = max_bytes
        self.file_chars = file_chars
        self.bytes = 0
        self._lock = threading.Lock()

    def _windows(self, n: Neighbour, size: int) -> list[Window]:
        key = (n.key, size)
        with self._lock:
            found = self._cache.get(key)
            if found is not None and found[0] == n.version:
                self._cache.move_to_end(key)
                return found[1]
        made = windows(n.text[: self.file_chars], size, found[1] if found else ())
        cost = sum(w.cost for w in made)
        with self._lock:
            old = self._cache.pop(key, None)
            self.bytes -= old[2] if old else 0
            self._cache[key] = (n.version, made, cost)
            self.bytes += cost
            while self.bytes > self.max_bytes and len(self._cache) > 1:
                _, (_, _, gone) = self._cache.popitem(last=False)
                self.bytes -= gone
        return made

    def forget(self, key: str) -> None:
        """Drops what is cached for the file ``key`` (it was closed)."""
        with self._lock:
            for k in [k for k in self._cache if k[0] == key]:
                self.bytes -= self._cache.pop(k)[2]

    def __len__(self) -> int:
        return len(self._cache)

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
        head = text[max(0, offset - QUERY_CHARS * window_lines) : offset].splitlines()
        query = tokens("\n".join(head[-window_lines:]))
        if not query:
            return ()
        best: list[Snippet] = []
        for n in others:
            scored = [(jaccard(query, w.tokens), w) for w in self._windows(n, window_lines)]
            if scored:
                score, w = max(scored, key=lambda sw: sw[0])
                if score >= min_similarity:
                    best.append(Snippet(n.name, n.text[w.start : w.end], score))
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
