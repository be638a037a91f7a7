"""Parses that reuse work across the candidates of a request.

Ranking parses the same region of a document once per candidate, with the candidate inserted at
the cursor: the syntax check (``syntax_delta``) and the review rules (``find_flags``) each did a
full parse of up to 20 KB per candidate, 20-30 ms of a request on a normal file. Here the
document before the edit is parsed once and kept (a few recent texts per thread), and each
candidate's document is re-parsed incrementally from a copy of that tree: tree-sitter then
reuses every subtree the insertion did not touch.

The result is the same tree a fresh parse gives (that is tree-sitter's contract for incremental
parsing, and ``tests/unit/test_incremental.py`` checks error counts and review hits against
fresh parses on random edits).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import tree_sitter

from grammars.registry import get_parser

__all__ = ["parse", "parse_with_insert"]

# Texts kept per thread: the region a syntax check sees and the text review rules see, for the
# current request and the one before it. Each entry holds its bytes (at most ~24 KB: parses are
# bounded by ``grammars.region``) and its tree.
KEEP = 4
_local = threading.local()


def _trees() -> OrderedDict[tuple[str, bytes], tree_sitter.Tree]:
    trees = _local.__dict__.get("trees")
    if trees is None:
        trees = _local.trees = OrderedDict()
    return trees


def parse(language: str, data: bytes) -> tree_sitter.Tree:
    """The parse of ``data``, from this thread's recent parses when it is one of them.

    The tree returned is shared: do not ``edit`` it (``parse_with_insert`` edits a copy).
    """
    trees = _trees()
    key = (language, data)
    tree = trees.get(key)
    if tree is None:
        tree = get_parser(language).parse(data)
        trees[key] = tree
        while len(trees) > KEEP:
            trees.popitem(last=False)
    else:
        trees.move_to_end(key)
    return tree


def _point(data: bytes, offset: int) -> tuple[int, int]:
    """Tree-sitter's (row, byte column) of a byte offset."""
    row = data.count(b"\n", 0, offset)
    return row, offset - (data.rfind(b"\n", 0, offset) + 1)


def parse_with_insert(
    language: str, data: bytes, start: int, end: int, inserted: bytes
) -> tuple[tree_sitter.Tree, bytes]:
    """The parse of ``data`` with bytes [start, end) replaced by ``inserted``, and those bytes.

    ``data`` is parsed once (``parse``); the edited text is re-parsed incrementally from a copy
    of that tree.
    """
    start = max(0, min(start, len(data)))
    end = max(start, min(end, len(data)))
    new = data[:start] + inserted + data[end:]
    tree = parse(language, data).copy()
    new_end = start + len(inserted)
    tree.edit(
        start_byte=start,
        old_end_byte=end,
        new_end_byte=new_end,
        start_point=_point(data, start),
        old_end_point=_point(data, end),
        new_end_point=_point(new, new_end),
    )
    return get_parser(language).parse(new, tree), new
