"""Tree-sitter language registry, syntax checks and query loading for entropy-complete."""

from __future__ import annotations

from grammars.blocks import block_end
from grammars.errors import (
    GrammarError,
    GrammarNotInstalledError,
    QueryFileError,
    RuleError,
    UnknownLanguageError,
)
from grammars.incremental import parse_with_insert
from grammars.offsets import byte_to_char, char_to_byte, encode
from grammars.region import head, line_window, region
from grammars.registry import (
    LANGUAGES,
    BlockStyle,
    LanguageSpec,
    get_language,
    get_parser,
    language_for,
    load_query,
    query_source,
    spec,
)
from grammars.syntax import count_errors, count_tree_errors, is_valid, syntax_delta

__all__ = [
    "LANGUAGES",
    "BlockStyle",
    "GrammarError",
    "GrammarNotInstalledError",
    "LanguageSpec",
    "QueryFileError",
    "RuleError",
    "UnknownLanguageError",
    "block_end",
    "byte_to_char",
    "char_to_byte",
    "count_errors",
    "parse_with_insert",
    "count_tree_errors",
    "encode",
    "get_language",
    "get_parser",
    "head",
    "is_valid",
    "language_for",
    "line_window",
    "load_query",
    "query_source",
    "region",
    "spec",
    "syntax_delta",
]
