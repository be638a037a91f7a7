"""Bounded regions of a document: what parsing and analysis see of a huge file.

A 10 MB file takes tree-sitter about 4 s to parse, and ranking parses once or twice per
candidate; the region around the cursor is all a syntax check or a review rule needs. Regions
start and end at top-level lines (column 0, not a closing bracket) where one is near, so the
cut parse sees whole statements, and never grow past a fixed size, so a huge file costs what a
normal one does.
"""

from __future__ import annotations

import re

__all__ = ["HEAD_CHARS", "PARSE_RADIUS", "head", "line_window", "region"]

# Characters each side of the cursor a parse sees (a normal file is parsed whole).
PARSE_RADIUS = 8_000
# The file's head (its imports) that review rules see beside the region.
HEAD_CHARS = 4_000
# A line starting at column 0 with code, not with a closing bracket: a top-level statement.
_TOP_LEVEL = re.compile(r"^[^\s)\]}]", re.MULTILINE)


def line_window(text: str, offset: int, radius: int) -> tuple[int, int]:
    """[lo, hi) within ``radius`` of ``offset``, widened to line ends only inside that bound.

    Lines longer than the bound (minified code) are cut where the bound falls.
    """
    offset = max(0, min(offset, len(text)))
    lo, hi = max(0, offset - radius), min(len(text), offset + radius)
    if lo > 0:
        nl = text.find("\n", lo, offset)
        lo = nl + 1 if nl >= 0 else lo
    if hi < len(text):
        nl = text.rfind("\n", offset, hi)
        hi = nl + 1 if nl >= 0 else hi
    return lo, hi


def region(
    text: str, offset: int, end: int | None = None, radius: int = PARSE_RADIUS
) -> tuple[int, int]:
    """[lo, hi) around [offset, end) that a parse needs, at most ``2 * radius`` plus the span.

    ``lo`` is the first top-level line start at least ``radius`` before ``offset`` would
    allow (else a line start), ``hi`` the last top-level line start within ``radius`` after
    ``end`` (else a line end), so the region holds whole statements where the file has them.
    """
    offset = max(0, min(offset, len(text)))
    end = offset if end is None else max(offset, min(end, len(text)))
    if len(text) <= 2 * radius + (end - offset):
        return 0, len(text)
    lo, _ = line_window(text, offset, radius)
    if lo > 0:
        line_start = text.rfind("\n", 0, offset) + 1
        m = _TOP_LEVEL.search(text, lo, line_start + 1)
        lo = m.start() if m else lo
    _, hi = line_window(text, end, radius)
    if hi < len(text):
        after = text.find("\n", end)
        after = len(text) if after < 0 else after + 1
        tops = [m.start() for m in _TOP_LEVEL.finditer(text, after, hi)]
        hi = tops[-1] if tops and tops[-1] > after else hi
    return lo, hi


def head(text: str, lo: int, limit: int = HEAD_CHARS) -> str:
    """The file's first lines (its imports) up to the last top-level line within ``limit``,
    ending before ``lo``; "" when the region already starts there."""
    if lo <= 0:
        return ""
    bound = min(lo, limit)
    tops = [m.start() for m in _TOP_LEVEL.finditer(text, 1, bound + 1)]
    cut = tops[-1] if tops else text.rfind("\n", 0, bound) + 1
    return text[:cut]
