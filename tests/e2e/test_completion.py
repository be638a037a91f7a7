"""Capabilities, inline and popup completions, grounding, typing-through and telemetry, end to end.

One server per recorded client serves the whole module (see conftest's ``server``): each test
completes a text of its own, reads counters as differences and telemetry from its own events."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_helpers import (
    AUTOMATIC,
    INVOKED,
    SHAPES,
    end_of,
    inline_params,
    open_doc,
    pushed,
    stats,
    type_text,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

ACCEPT = "entropyComplete.accept"
SHARED_OPTIONS: dict = {}
pytestmark = pytest.mark.asyncio(loop_scope="module")


def own_doc(lc: LanguageClient, name: str) -> tuple[str, types.Position]:
    """SHAPES under a header naming the test (a prompt no other test of the module asks for),
    opened as a document of its own; its URI and the position at its end."""
    text = f"# {name}\n{SHAPES}"
    return open_doc(lc, name.replace(" ", "_") + ".py", text), end_of(text)


def telemetry_log(lc: LanguageClient) -> Path:
    return lc.state_dir / "entropy-complete" / "telemetry.jsonl"  # type: ignore[attr-defined]


def events(lc: LanguageClient) -> list[dict]:
    log = telemetry_log(lc)
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


async def test_capabilities_and_model_progress(server: LanguageClient) -> None:
    result = server.init_result  # type: ignore[attr-defined]
    caps = result.capabilities
    assert caps.inline_completion_provider is not None
    assert caps.completion_provider is not None
    assert caps.code_action_provider
    assert caps.execute_command_provider is not None
    assert {ACCEPT, "entropyComplete.markReviewed"} <= set(caps.execute_command_provider.commands)
    assert result.server_info is not None and result.server_info.name == "entropy-complete"
    # The model loaded after `initialized`, reported as $/progress begin ... end.
    reports = [
        r for token, rs in server.progress_reports.items() for r in rs if "load-model" in str(token)
    ]
    assert isinstance(reports[0], types.WorkDoneProgressBegin)
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    assert "model ready" in (reports[-1].message or "")
    assert server.messages == []  # nothing to complain about


async def test_inline_and_popup_completions(server: LanguageClient) -> None:
    open_doc(server, "neighbour.py")  # same language: grounding material
    uri, pos = own_doc(server, "inline and popup")
    before = await stats(server)

    inline = await server.text_document_inline_completion_async(inline_params(uri, pos, INVOKED))
    assert inline is not None
    items = inline.items if isinstance(inline, types.InlineCompletionList) else inline
    assert 1 <= len(items) <= 5  # invoked: up to five alternatives
    for item in items:
        assert isinstance(item.insert_text, str) and item.insert_text
        assert item.range is not None and item.range.start == pos
        assert item.command is not None and item.command.command == ACCEPT
        arg = item.command.arguments[0]
        assert arg["uri"] == uri and arg["text"] == item.insert_text
        assert arg["position"] == {"line": pos.line, "character": pos.character}
        assert 0.0 <= arg["confidence"] <= 1.0

    popup = await server.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=pos,
            context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked),
        )
    )
    assert isinstance(popup, types.CompletionList) and popup.items
    for rank, item in enumerate(popup.items):
        assert isinstance(item.text_edit, types.TextEdit)
        assert item.text_edit.range.start == pos and item.text_edit.new_text
        assert item.detail is not None and item.detail.startswith("entropy-complete")
        assert isinstance(item.documentation, types.MarkupContent)
        assert "confidence" in item.documentation.value
        assert item.sort_text == f"{rank:02d}"
        assert item.command is not None and item.command.command == ACCEPT
    s = await stats(server)
    # The same request twice: the popup reused the inline answer's ranking from the LRU cache.
    assert s["modelCalls"] - before["modelCalls"] == 1
    assert s["cacheHits"] - before["cacheHits"] == 1
    # neighbour.py was similar enough to go into the prompt
    assert s["grounded"] - before["grounded"] >= 1


async def test_positions_in_the_negotiated_encoding(server: LanguageClient) -> None:
    result = server.init_result  # type: ignore[attr-defined]
    # Neovim offers UTF-8 first; the recorded VS Code offers nothing, so UTF-16.
    expected = "utf-8" if server.spec == "neovim" else "utf-16"  # type: ignore[attr-defined]
    assert (result.capabilities.position_encoding or "utf-16") == expected
    line = "    label = 'h\u00e9\U0001f600' + "
    text = SHAPES.rstrip() + "\n\n" + line
    uri = open_doc(server, "positions.py", text)
    pos = types.Position(text.count("\n"), len(line.encode(encoding(server))) // unit(server))
    inline = await server.text_document_inline_completion_async(inline_params(uri, pos, INVOKED))
    assert inline is not None and inline.items
    for item in inline.items:
        assert item.range is not None and item.range.start == pos
        assert item.command.arguments[0]["position"] == {
            "line": pos.line,
            "character": pos.character,
        }


def encoding(client: LanguageClient) -> str:
    return "utf-8" if client.spec == "neovim" else "utf-16-le"  # type: ignore[attr-defined]


def unit(client: LanguageClient) -> int:
    return 1 if encoding(client) == "utf-8" else 2


@pytest.mark.any_client
async def test_typing_through_answers_without_the_model(server: LanguageClient) -> None:
    async with pushed(server, {"automatic": {"abstainBelow": 0}}):
        await typing_through(server)


async def typing_through(client: LanguageClient) -> None:
    uri, pos = own_doc(client, "typing through")
    through = (await stats(client))["typingThrough"]
    first = await client.text_document_inline_completion_async(inline_params(uri, pos, INVOKED))
    assert first is not None and first.items
    shown = [i.insert_text for i in first.items if isinstance(i.insert_text, str)]
    # A suggestion whose first character is plain (one unit in every encoding) and has more.
    target = max((t for t in shown if t[0].isascii() and t[0] != "\n"), key=len)
    assert len(target) >= 2, shown
    calls = (await stats(client))["modelCalls"]

    # The user types the first character of the suggestion on screen.
    type_text(client, uri, 2, pos, target[0])
    moved = types.Position(pos.line, pos.character + 1)
    again = await client.text_document_inline_completion_async(inline_params(uri, moved, AUTOMATIC))
    assert again is not None
    rest = [i.insert_text for i in again.items]
    assert target[1:] in rest
    for item in again.items:
        assert item.range is not None and item.range.start == moved
        # The accept command still describes the whole suggestion where it began.
        arg = item.command.arguments[0]
        assert arg["position"] == {"line": pos.line, "character": pos.character}
        assert arg["text"] == target[0] + item.insert_text
    s = await stats(client)
    assert s["modelCalls"] == calls, "typing-through must not call the model"
    assert s["typingThrough"] == through + 1

    # Typing something else falls back to the model.
    type_text(client, uri, 3, moved, "\u00e9")
    after = types.Position(
        moved.line, moved.character + len("\u00e9".encode(encoding(client))) // unit(client)
    )
    await client.text_document_inline_completion_async(inline_params(uri, after, AUTOMATIC))
    assert (await stats(client))["modelCalls"] == calls + 1


@pytest.mark.any_client
async def test_telemetry_and_report(server: LanguageClient) -> None:
    uri, pos = own_doc(server, "telemetry and report")
    seen = len(events(server))
    result = await server.text_document_inline_completion_async(inline_params(uri, pos, INVOKED))
    assert result is not None and result.items
    command = result.items[0].command
    await server.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command.command, arguments=command.arguments)
    )
    everything = events(server)
    mine = everything[seen:]
    shown = [e for e in mine if e["event"] == "shown"]
    assert len(shown) == len(result.items)
    for e in shown:
        assert set(e["latency_ms"]) >= {"prompt", "prefill", "decode", "rank", "total"}
        assert e["model"] and 0 <= e["confidence"] <= 1 and "mean_entropy" in e
        assert "text" not in e  # no source text unless opted in
    assert [e["id"] for e in mine if e["event"] == "accept"] == [shown[0]["id"]]

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "lsp_server",
            "report",
            "--file",
            str(telemetry_log(server)),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(out.stdout)
    # The report reads the whole log: this test's events and those of the tests before it.
    accepted = sum(e["event"] == "accept" for e in everything)
    assert report["shown"] == sum(e["event"] == "shown" for e in everything)
    assert report["accepted"] == accepted >= 1
    assert sum(b["accepted"] for b in report["by_confidence"]) == accepted
    assert report["latency_ms"]["total"]["p50"] > 0


@pytest.mark.any_client
async def test_trigger_policy_automatic_abstains_invoked_shows(server: LanguageClient) -> None:
    # No suggestion is ever confident enough for automatic triggers here; asking still works.
    async with pushed(server, {"automatic": {"abstainBelow": 1.0}, "invoked": {"show": 2}}):
        await trigger_policy(server)


@pytest.mark.any_client
async def test_an_automatic_request_that_cannot_be_shown_stops_decoding_early(
    server: LanguageClient,
) -> None:
    # At 0.5 no candidate of the shipped model's survives a token or two below certainty.
    async with pushed(server, {"automatic": {"abstainBelow": 0.5}}):
        uri, pos = own_doc(server, "give up early")
        seen, before = len(events(server)), await stats(server)
        quiet = await server.text_document_inline_completion_async(
            inline_params(uri, pos, AUTOMATIC)
        )
        assert quiet is not None and not quiet.items
        after = await stats(server)
    assert after["gaveUp"] == before["gaveUp"] + 1
    (event,) = [e for e in events(server)[seen:] if e["event"] == "abstain"]
    assert 1 <= event["gave_up_at"] < 48  # tokens decoded, of the 48 allowed
    # automatic.stopEarly off: the same kind of request decodes to the end.
    async with pushed(server, {"automatic": {"abstainBelow": 0.5, "stopEarly": False}}):
        uri, pos = own_doc(server, "decode to the end")
        seen = len(events(server))
        await server.text_document_inline_completion_async(inline_params(uri, pos, AUTOMATIC))
        assert (await stats(server))["gaveUp"] == after["gaveUp"]
    (event,) = [e for e in events(server)[seen:] if e["event"] == "abstain"]
    assert "gave_up_at" not in event


async def trigger_policy(client: LanguageClient) -> None:
    uri, pos = own_doc(client, "trigger policy")
    seen = len(events(client))
    quiet = await client.text_document_inline_completion_async(inline_params(uri, pos, AUTOMATIC))
    assert quiet is not None and len(quiet.items) == 0
    asked = await client.text_document_inline_completion_async(inline_params(uri, pos, INVOKED))
    assert asked is not None and 1 <= len(asked.items) <= 2
    mine = events(client)[seen:]
    assert [e["trigger"] for e in mine if e["event"] == "abstain"] == ["automatic"]
    invoked = [e for e in mine if e["event"] == "shown"]
    assert {e["trigger"] for e in invoked} == {"invoked"} and {e["samples"] for e in invoked} == {6}
