"""The language registry: one table from LSP languageId / file extension to tree-sitter grammar."""

from __future__ import annotations

import importlib
import re
import threading
from dataclasses import dataclass
from enum import Enum
from functools import cache
from importlib import resources
from pathlib import PurePath

import tree_sitter

from grammars.errors import GrammarNotInstalledError, QueryFileError, UnknownLanguageError


class BlockStyle(str, Enum):
    """How a language delimits blocks; decides how `block_end` finds the end of one."""

    INDENT = "indent"
    BRACE = "brace"


@dataclass(frozen=True, slots=True)
class LanguageSpec:
    """One registered language: how to recognise it and how to load its grammar."""

    name: str
    language_ids: tuple[str, ...]  # LSP languageIds that map here
    extensions: tuple[str, ...]  # lower-case, with the dot
    grammar: tuple[str, str]  # (python module, function returning the language pointer)
    comment: str  # line-comment prefix
    blocks: BlockStyle
    quotes: str  # characters that open a string literal (others, like ' in C, are char literals)


_C_EXT = (".c", ".h")
_CPP_EXT = (".cpp", ".cc", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++", ".ipp", ".tpp")

LANGUAGES: dict[str, LanguageSpec] = {
    spec.name: spec
    for spec in (
        LanguageSpec(
            "python", ("python",), (".py", ".pyi", ".pyw"),
            ("tree_sitter_python", "language"), "#", BlockStyle.INDENT, "\"'",
        ),
        LanguageSpec(
            "javascript", ("javascript", "javascriptreact"), (".js", ".mjs", ".cjs", ".jsx"),
            ("tree_sitter_javascript", "language"), "//", BlockStyle.BRACE, "\"'`",
        ),
        LanguageSpec(
            "typescript", ("typescript",), (".ts", ".mts", ".cts"),
            ("tree_sitter_typescript", "language_typescript"), "//", BlockStyle.BRACE, "\"'`",
        ),
        LanguageSpec(
            "tsx", ("typescriptreact",), (".tsx",),
            ("tree_sitter_typescript", "language_tsx"), "//", BlockStyle.BRACE, "\"'`",
        ),
        LanguageSpec(
            "go", ("go",), (".go",),
            ("tree_sitter_go", "language"), "//", BlockStyle.BRACE, '"`',
        ),
        LanguageSpec(
            "rust", ("rust",), (".rs",),
            ("tree_sitter_rust", "language"), "//", BlockStyle.BRACE, '"',
        ),
        LanguageSpec(
            "java", ("java",), (".java",),
            ("tree_sitter_java", "language"), "//", BlockStyle.BRACE, '"',
        ),
        LanguageSpec(
            "c", ("c",), _C_EXT,
            ("tree_sitter_c", "language"), "//", BlockStyle.BRACE, '"',
        ),
        LanguageSpec(
            "cpp", ("cpp", "cuda-cpp"), _CPP_EXT,
            ("tree_sitter_cpp", "language"), "//", BlockStyle.BRACE, '"',
        ),
    )
}  # fmt: skip

_BY_LANGUAGE_ID = {lid: spec for spec in LANGUAGES.values() for lid in spec.language_ids}
_BY_EXTENSION = {ext: spec for spec in LANGUAGES.values() for ext in spec.extensions}

# A query file may start with `; inherits: a, b` (nvim-treesitter's convention) to prepend
# shared query files; this is how JavaScript, TypeScript and TSX share one set of patterns
# while only the grammars that have JSX nodes get the JSX patterns.
_INHERITS = re.compile(r"\A;\s*inherits\s*:\s*([\w ,-]+)")


def language_for(language_id: str | None = None, path: str | None = None) -> LanguageSpec | None:
    """The registered language for an LSP languageId, else for a file path's extension.

    Args:
        language_id: the LSP `languageId` of the document; it wins when it is known.
        path: a file path or URI path, used for its extension.

    Returns:
        The spec, or None when neither identifies a registered language.
    """
    if language_id is not None and language_id in _BY_LANGUAGE_ID:
        return _BY_LANGUAGE_ID[language_id]
    if path:
        return _BY_EXTENSION.get(PurePath(path).suffix.lower())
    return None


def spec(name: str) -> LanguageSpec:
    """The spec registered under `name`; raises UnknownLanguageError otherwise."""
    try:
        return LANGUAGES[name]
    except KeyError:
        raise UnknownLanguageError(name, tuple(LANGUAGES)) from None


@cache
def get_language(name: str) -> tree_sitter.Language:
    """The tree-sitter Language for a registered language name (loaded once)."""
    module_name, function = spec(name).grammar
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise GrammarNotInstalledError(name, module_name) from None
    return tree_sitter.Language(getattr(module, function)())


_local = threading.local()


def get_parser(name: str) -> tree_sitter.Parser:
    """A parser for `name`, cached per thread because a Parser is not thread-safe."""
    parsers: dict[str, tree_sitter.Parser] = _local.__dict__.setdefault("parsers", {})
    parser = parsers.get(name)
    if parser is None:
        parser = parsers[name] = tree_sitter.Parser(get_language(name))
    return parser


def _query_text(directory: str, kind: str) -> str | None:
    resource = resources.files("grammars") / "queries" / directory / f"{kind}.scm"
    return resource.read_text(encoding="utf-8") if resource.is_file() else None


def query_source(name: str, kind: str) -> str | None:
    """The text of `queries/<name>/<kind>.scm` with its `; inherits:` files prepended.

    Returns None when the language has no such query file.
    """
    text = _query_text(name, kind)
    if text is None:
        return None
    parts: list[str] = []
    header = _INHERITS.match(text)
    if header:
        for base in filter(None, (b.strip() for b in header.group(1).split(","))):
            inherited = query_source(base, kind)
            if inherited is None:
                raise QueryFileError(f"queries/{name}/{kind}.scm inherits missing {base!r}")
            parts.append(inherited)
    parts.append(text)
    return "\n".join(parts)


@cache
def load_query(name: str, kind: str) -> tree_sitter.Query | None:
    """The compiled `queries/<name>/<kind>.scm` for a language (cached), or None if absent."""
    source = query_source(name, kind)
    if source is None:
        return None
    try:
        return tree_sitter.Query(get_language(name), source)
    except tree_sitter.QueryError as exc:
        message = " ".join(str(exc).split())
        raise QueryFileError(f"queries/{name}/{kind}.scm: {message}") from None
