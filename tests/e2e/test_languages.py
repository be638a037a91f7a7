"""The language guard, end to end: a model that declares its languages stays quiet in others."""

from __future__ import annotations

import asyncio

import pytest
from e2e_helpers import AUTOMATIC, INVOKED, end_of, initialize, inline_params, open_doc, plain
from lsprotocol import types
from pytest_lsp import LanguageClient

# Files in languages the shipped (Python-only) model was not trained on.
FOREIGN = [
    ("main.rs", "rust", "fn main() {\n    for (k, v) in DIAGNOSTICS."),
    ("main.go", "go", "package main\n\nfunc main() {\n    x := "),
    ("main.c", "c", "#include <stdio.h>\n\nint main(void) {\n    printf("),
]


@pytest.mark.any_client
async def test_other_languages_get_no_suggestion_and_one_reason(client: LanguageClient) -> None:
    notes: list[dict] = []

    @client.feature("entropyComplete/abstained")
    def abstained(params):  # unannotated: pygls passes an annotated handler the client too
        notes.append(plain(params))

    await initialize(client)
    for name, language, text in FOREIGN:
        uri = open_doc(client, name, text, language_id=language)
        for kind in (AUTOMATIC, INVOKED, AUTOMATIC):
            got = await client.text_document_inline_completion_async(
                inline_params(uri, end_of(text), kind)
            )
            assert got is not None and not got.items, (name, got)
        popup = await client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=end_of(text)
            )
        )
        assert popup is None or not (popup.items if hasattr(popup, "items") else popup)
    await asyncio.sleep(0.2)
    # The reason reaches the editor with every empty answer, and the user once per language.
    assert {n["reason"] for n in notes} == {"language"} and len(notes) >= 9
    shown = [m.message for m in client.messages]
    for _, language, _ in FOREIGN:
        assert sum(f"not {language}" in m and "knows only python" in m for m in shown) == 1


@pytest.mark.any_client
async def test_the_guard_can_be_turned_off(client: LanguageClient) -> None:
    await initialize(client, {"model": {"languageGuard": False}})
    name, language, text = FOREIGN[0]
    uri = open_doc(client, name, text, language_id=language)
    got = await client.text_document_inline_completion_async(
        inline_params(uri, end_of(text), INVOKED)
    )
    assert got is not None and got.items
    assert not any("knows only" in m.message for m in client.messages)
