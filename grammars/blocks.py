"""Where a BLOCK-mode completion's block ends, by indentation (Python) or braces (the rest)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from grammars.registry import BlockStyle, LanguageSpec, spec

# Strings and comments are skipped whole so a bracket or colon inside them never counts.
_PY_SKIP = (
    r"#[^\n]*",
    r"'''(?:\\.|[^\\])*?(?:'''|\Z)",
    r'"""(?:\\.|[^\\])*?(?:"""|\Z)',
    r"'(?:\\.|[^'\\\n])*'?",
    r'"(?:\\.|[^"\\\n])*"?',
)
_BRACE_COMMENTS = (r"//[^\n]*", r"/\*.*?(?:\*/|\Z)")
# Where ' does not open a string it opens a char literal, but in Rust it may also start a
# lifetime (`&'a str`): only a complete one-character or escaped literal is skipped.
_CHAR_LITERAL = r"'(?:\\[^'\n]{1,10}|[^'\\\n])'"
# Characters that may directly follow a closing `}` and still belong to the same construct:
# `});`, `},`, `})`.
_TRAILING_CLOSERS = ")];,"
_PY_BLANK_OR_COMMENT = re.compile(r"[ \t\f\r]*(#.*)?")


def _quoted(quote: str) -> str:
    # Backtick strings (JS templates, Go raw strings) may span lines; the others may not.
    body = rf"[^{quote}\\]" if quote == "`" else rf"[^{quote}\\\n]"
    return rf"{quote}(?:\\.|{body})*{quote}?"


@cache
def _token_pattern(language: LanguageSpec) -> re.Pattern[str]:
    if language.blocks is BlockStyle.INDENT:
        skips: tuple[str, ...] = _PY_SKIP
    else:
        chars = () if "'" in language.quotes else (_CHAR_LITERAL,)
        skips = _BRACE_COMMENTS + tuple(_quoted(q) for q in language.quotes) + chars
    alternatives = "|".join(skips)
    return re.compile(
        rf"(?P<skip>{alternatives})|(?P<open>[(\[{{])|(?P<close>[)\]}}])|(?P<nl>\n)|(?P<colon>:)",
        re.DOTALL,
    )


def _tokens(source: str, language: LanguageSpec) -> Iterator[re.Match[str]]:
    return _token_pattern(language).finditer(source)


def _line_at(source: str, start: int) -> str:
    end = source.find("\n", start)
    return source[start:] if end < 0 else source[start:end]


def _indent(line: str) -> int:
    stripped = line.lstrip(" \t\f")
    return len(line[: len(line) - len(stripped)].expandtabs(8))


def _indent_end(source: str, cursor: int, language: LanguageSpec) -> int | None:
    """End of the block by indentation; `source` starts at the cursor's line start."""
    depth = 0
    first_line_end: int | None = None  # end of the cursor's logical line
    last_colon = -1
    line_starts: list[int] = []  # starts of the later logical lines
    for token in _tokens(source, language):
        kind = token.lastgroup
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(0, depth - 1)  # a closer of a line above the cursor's: ignore it
        elif kind == "colon" and depth == 0 and first_line_end is None:
            last_colon = token.end()
        elif kind == "nl" and depth == 0 and token.start() >= cursor:
            if first_line_end is None:
                first_line_end = token.start()
            line_starts.append(token.end())
    if first_line_end is None:
        return None  # the completion never leaves the cursor's line
    tail = _PY_BLANK_OR_COMMENT.fullmatch(source, last_colon, first_line_end)
    opens_block = last_colon >= 0 and tail is not None
    lines = [(start, _line_at(source, start)) for start in line_starts]
    code_lines = [(start, line) for start, line in lines if line.strip()]
    first = source[:first_line_end]
    if first.strip():
        base = _indent(first)
    elif code_lines:
        base, opens_block = _indent(code_lines[0][1]), False
    else:
        return None
    for start, line in code_lines:
        indent = _indent(line)
        if indent < base or (opens_block and indent <= base):
            return max(cursor, len(source[:start].rstrip())) - cursor
    return None


def _brace_end(source: str, cursor: int, language: LanguageSpec) -> int | None:
    """End of the block by brace depth; `source` starts at the cursor's line start."""
    depth = 0
    at_cursor: int | None = None
    closers: list[tuple[int, int]] = []  # (end offset, depth after) of each `}` in the completion
    line_end_depth: int | None = None
    for token in _tokens(source, language):
        if at_cursor is None and token.start() >= cursor:
            at_cursor = depth
        kind, text = token.lastgroup, token.group()
        if kind == "open" and text == "{":
            depth += 1
        elif kind == "close" and text == "}":
            depth -= 1
            if token.start() >= cursor:
                closers.append((token.end(), depth))
        elif kind == "nl" and token.start() >= cursor and line_end_depth is None:
            line_end_depth = depth
    at_cursor = depth if at_cursor is None else at_cursor
    line_end_depth = depth if line_end_depth is None else line_end_depth
    # The block is the innermost one open at the cursor, or opened later on the cursor's line
    # (`if (x) {` typed by the completion itself).
    threshold = max(at_cursor, line_end_depth)
    for end, after in closers:
        if after < threshold:
            while end < len(source) and source[end] in _TRAILING_CLOSERS:
                end += 1
            return end - cursor
    return None


_STRATEGIES = {BlockStyle.INDENT: _indent_end, BlockStyle.BRACE: _brace_end}


def block_end(text: str, offset: int, inserted: str, language: str) -> int | None:
    """Code-point offset in `inserted` where the block the completion is writing ends.

    The rule, applied to the cursor's line and `inserted` (strings and comments are skipped):

    - Indentation (Python): the base is the indentation of the cursor's line with the
      completion in place (if that line is blank, of the first non-blank line of the
      completion). If that line ends in `:` it opens a block, which ends at the first later
      logical line indented <= base; otherwise the enclosing block ends at the first later
      logical line indented < base. Lines inside brackets or triple-quoted strings are not
      logical line starts. The returned offset is the end of the last non-blank text before
      that line, so `inserted[:k]` is the block without trailing blank lines.
    - Braces (the rest): the block is the innermost one open at the cursor or left open at the
      end of the cursor's line. It ends right after the `}` that closes it, plus any `)`, `]`,
      `;` or `,` directly after it (`});`).

    Args:
        text: the document before the completion.
        offset: code-point offset of the cursor in `text`.
        inserted: the completion text.
        language: a registered language name.

    Returns:
        The offset `k` such that `inserted[:k]` ends the block, or None when the block does not
        end inside `inserted`.
    """
    language_spec = spec(language)
    offset = max(0, min(offset, len(text)))
    line_start = text.rfind("\n", 0, offset) + 1
    source = text[line_start:offset] + inserted
    end = _STRATEGIES[language_spec.blocks](source, offset - line_start, language_spec)
    return None if end is None else min(end, len(inserted))
