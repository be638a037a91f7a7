"""Tests for the language registry: lookups, grammar loading, parsers and query files."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import tree_sitter

from grammars import (
    LANGUAGES,
    BlockStyle,
    UnknownLanguageError,
    count_errors,
    get_language,
    get_parser,
    is_valid,
    language_for,
    load_query,
    query_source,
    spec,
)

DATA = Path(__file__).parent.parent / "data" / "grammars"

BY_LANGUAGE_ID = {
    "python": "python",
    "javascript": "javascript",
    "javascriptreact": "javascript",
    "typescript": "typescript",
    "typescriptreact": "tsx",
    "go": "go",
    "rust": "rust",
    "java": "java",
    "c": "c",
    "cpp": "cpp",
}

BY_PATH = {
    "pkg/mod.py": "python",
    "stubs/mod.pyi": "python",
    "web/app.js": "javascript",
    "web/app.mjs": "javascript",
    "web/App.jsx": "javascript",
    "web/app.ts": "typescript",
    "web/App.tsx": "tsx",
    "cmd/main.go": "go",
    "src/lib.rs": "rust",
    "src/Main.java": "java",
    "src/main.c": "c",
    "include/api.h": "c",
    "src/main.cpp": "cpp",
    "src/main.cc": "cpp",
    "include/api.hpp": "cpp",
    "/abs/UPPER.PY": "python",
}

SNIPPETS = {
    "python": "valid.py",
    "javascript": "valid.js",
    "typescript": "valid.ts",
    "tsx": "valid.tsx",
    "go": "valid.go",
    "rust": "valid.rs",
    "java": "valid.java",
    "c": "valid.c",
    "cpp": "valid.cpp",
}


@pytest.mark.parametrize(("language_id", "name"), sorted(BY_LANGUAGE_ID.items()))
def test_language_for_language_id(language_id: str, name: str) -> None:
    found = language_for(language_id=language_id)
    assert found is not None and found.name == name
    assert language_id in found.language_ids


@pytest.mark.parametrize(("path", "name"), sorted(BY_PATH.items()))
def test_language_for_extension(path: str, name: str) -> None:
    found = language_for(path=path)
    assert found is not None and found.name == name


def test_language_id_wins_over_extension() -> None:
    found = language_for(language_id="typescriptreact", path="x.py")
    assert found is not None and found.name == "tsx"


def test_unknown_language_id_falls_back_to_extension() -> None:
    found = language_for(language_id="plaintext", path="notes/x.rs")
    assert found is not None and found.name == "rust"


@pytest.mark.parametrize(
    ("language_id", "path"), [(None, None), ("plaintext", None), (None, "README"), (None, "a.md")]
)
def test_language_for_unknown(language_id: str | None, path: str | None) -> None:
    assert language_for(language_id=language_id, path=path) is None


def test_table_has_no_duplicate_ids_or_extensions() -> None:
    ids = [lid for s in LANGUAGES.values() for lid in s.language_ids]
    extensions = [ext for s in LANGUAGES.values() for ext in s.extensions]
    assert len(ids) == len(set(ids))
    assert len(extensions) == len(set(extensions))
    assert all(ext.startswith(".") and ext == ext.lower() for ext in extensions)


def test_block_styles_and_comments() -> None:
    assert spec("python").blocks is BlockStyle.INDENT and spec("python").comment == "#"
    for name in LANGUAGES.keys() - {"python"}:
        assert spec(name).blocks is BlockStyle.BRACE and spec(name).comment == "//"


def test_every_registered_grammar_parses_its_snippet() -> None:
    assert set(SNIPPETS) == set(LANGUAGES)
    for name, file in SNIPPETS.items():
        text = (DATA / file).read_text(encoding="utf-8")
        assert count_errors(text, name) == 0, name
        assert is_valid(text, name), name


def test_get_language_is_cached() -> None:
    assert get_language("go") is get_language("go")
    assert isinstance(get_language("go"), tree_sitter.Language)


def test_unknown_language_raises_with_the_known_names() -> None:
    with pytest.raises(UnknownLanguageError, match="unknown language 'cobol'.*python"):
        get_language("cobol")
    with pytest.raises(KeyError):
        get_parser("cobol")


def test_parser_is_cached_per_thread() -> None:
    mine = get_parser("python")
    assert get_parser("python") is mine
    theirs: list[tree_sitter.Parser] = []
    thread = threading.Thread(target=lambda: theirs.append(get_parser("python")))
    thread.start()
    thread.join()
    assert theirs and theirs[0] is not mine


def test_load_query_present_cached_and_absent() -> None:
    query = load_query("python", "sensitive")
    assert isinstance(query, tree_sitter.Query)
    assert load_query("python", "sensitive") is query
    assert load_query("rust", "definitions") is None
    assert load_query("python", "no-such-kind") is None


def test_ecma_family_shares_queries_and_only_jsx_grammars_get_jsx() -> None:
    sources = {name: query_source(name, "sensitive") or "" for name in ("javascript", "tsx")}
    typescript = query_source("typescript", "sensitive") or ""
    assert "@js.inner-html" in typescript and "jsx_attribute" not in typescript
    assert all("@js.inner-html" in s and "jsx_attribute" in s for s in sources.values())
    for name in ("javascript", "typescript", "tsx"):
        assert load_query(name, "sensitive") is not None
