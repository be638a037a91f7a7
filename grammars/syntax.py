"""Syntax checks on tree-sitter parses: error counts, the error delta of an edit, validity."""

from __future__ import annotations

import tree_sitter

from grammars.blocks import block_end
from grammars.incremental import parse, parse_with_insert
from grammars.offsets import char_to_byte, encode
from grammars.region import region
from grammars.registry import get_parser

__all__ = ["block_end", "count_errors", "count_tree_errors", "is_valid", "syntax_delta"]


def _overlaps(node: tree_sitter.Node, start: int, end: int) -> bool:
    # A MISSING node is zero-width; it counts when it sits anywhere in [start, end], including
    # the end, because tree-sitter puts e.g. a missing `)` right after the last token it saw.
    if node.start_byte == node.end_byte:
        return start <= node.start_byte <= end
    return node.start_byte < end and node.end_byte > start


def count_tree_errors(
    root: tree_sitter.Node, start_byte: int = 0, end_byte: int | None = None
) -> int:
    """ERROR and MISSING nodes under `root` overlapping the byte range [start_byte, end_byte)."""
    end = root.end_byte if end_byte is None else end_byte
    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if not (node.has_error and _overlaps(node, start_byte, end)):
            continue  # subtrees without errors, or outside the range, cannot add to the count
        if node.is_error or node.is_missing:
            count += 1
        stack.extend(node.children)
    return count


def count_errors(text: str, language: str, start: int | None = None, end: int | None = None) -> int:
    """Number of ERROR and MISSING nodes in the parse of `text` that overlap [start, end).

    Args:
        text: the document.
        language: a registered language name, e.g. "python".
        start: first code-point offset of the range (default: start of the document).
        end: code-point offset just past the range (default: end of the document).

    Returns:
        The count; 0 for a clean parse of the range.
    """
    data = encode(text)
    tree = get_parser(language).parse(data)
    start_byte = 0 if start is None else char_to_byte(text, start)
    end_byte = len(data) if end is None else char_to_byte(text, end)
    return count_tree_errors(tree.root_node, start_byte, end_byte)


def is_valid(text: str, language: str) -> bool:
    """True when `text` parses without ERROR or MISSING nodes."""
    tree = get_parser(language).parse(encode(text))
    return not tree.root_node.has_error


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _line_end(text: str, offset: int, more_lines: int = 0) -> int:
    """End of the line holding `offset`, or of the line `more_lines` below it."""
    end = text.find("\n", offset)
    for _ in range(more_lines):
        if end < 0:
            break
        end = text.find("\n", end + 1)
    return len(text) if end < 0 else end


def syntax_delta(
    text: str,
    offset: int,
    inserted: str,
    language: str,
    replace: int = 0,
    *,
    context_lines: int = 1,
) -> int:
    """Errors an edit adds to the lines it touches: positive means the edit made things worse.

    The edited region runs from the start of the line holding `offset` to the end of the line
    holding the end of the edit (in the new document the end of `inserted`, in the old one the
    end of the replaced text), plus `context_lines` lines after it in both documents: an
    unclosed bracket is often reported on the next token, which is on the following line.
    Errors elsewhere in the document are not counted, and only a bounded region around the
    edit is parsed (``grammars.region``), so a huge document costs what a normal one does.

    Args:
        text: the document before the edit.
        offset: code-point offset where `inserted` goes.
        inserted: the completion text.
        language: a registered language name.
        replace: how many code points after `offset` the completion replaces.
        context_lines: lines after the edited ones that also count (0: the edited lines only).

    Returns:
        errors(new document, new region) - errors(old document, old region).
    """
    offset = max(0, min(offset, len(text)))
    old_end = min(len(text), offset + max(0, replace))
    lo, hi = region(text, offset, old_end)
    text, offset, old_end = text[lo:hi], offset - lo, old_end - lo
    new_text = text[:offset] + inserted + text[old_end:]
    first = _line_start(text, offset)  # same in both documents: the prefix is unchanged
    new_last = _line_end(new_text, offset + len(inserted), context_lines)
    old_last = _line_end(text, old_end, context_lines)
    # The region before the edit is parsed once per request, each candidate incrementally.
    data = encode(text)
    start = char_to_byte(text, offset)
    new_tree, _ = parse_with_insert(
        language, data, start, char_to_byte(text, old_end), encode(inserted)
    )
    first_byte = char_to_byte(text, first)
    new = count_tree_errors(new_tree.root_node, first_byte, char_to_byte(new_text, new_last))
    old_root = parse(language, data).root_node
    return new - count_tree_errors(old_root, first_byte, char_to_byte(text, old_last))
