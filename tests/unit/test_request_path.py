"""The server's request path in-process, with a scripted engine: cache, typing-through,
supersede, stale edits, cancellation and abstention — no subprocess, no real model, no timing
luck (the test decides when the "model" finishes)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcContentModified

from completion import DEFAULT_MODEL_DIR, GenerationCancelled, ModelInfo, Sample, SamplingPolicy
from completion.prompt import Prompt, TokenText
from lsp_server.config import Options, parse
from lsp_server.documents import DocumentStore
from lsp_server.model_host import ModelHost
from lsp_server.suggestions import Suggester, Trigger
from lsp_server.telemetry import Telemetry
from ranking import ConfidenceModel, RuleSet

URI = "file:///work/area.py"
TEXT = "def area(width, height):\n    return "


class ScriptedEngine:
    """Follows the Engine protocol; every request answers ``reply`` once the test releases it."""

    def __init__(self, reply: str = "width * height") -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(DEFAULT_MODEL_DIR / "tokenizer.json"))
        self.vocab_text = TokenText(self.tokenizer)
        self.template = self.prompt_template = None
        eot = self.tokenizer.token_to_id("<|endoftext|>")
        self.stop_ids = frozenset({eot})
        self.info = ModelInfo("scripted", "scripted", "plain", "cpu", "none", 512, 8192)
        self.reply = reply
        self.calls = 0
        self.started = threading.Event()
        self.release = threading.Event()
        self.release.set()  # answer at once unless a test holds it
        self.cancelled = threading.Event()
        self.policies: list[SamplingPolicy] = []

    def decode_pieces(self, prompt: Prompt, ids: tuple[int, ...]) -> tuple[str, list[int]]:
        starts, text = [], ""
        for k in range(len(ids)):
            starts.append(len(text))
            text = self.tokenizer.decode(list(ids[: k + 1]), skip_special_tokens=False)
        return text, starts

    def generate(
        self, prompt, policy: SamplingPolicy, cancel=None, stop_at_newline=False, stats=None
    ):
        self.calls += 1
        self.policies.append(policy)
        self.started.set()
        while not self.release.wait(0.002):
            if cancel is not None and cancel.is_set():
                self.cancelled.set()
                raise GenerationCancelled("stopped by the test's request")
        # The reply re-types what token healing took off the prompt, as a real model must.
        reply = self.tokenizer.encode(prompt.heal_text + self.reply).ids
        ids = tuple(reply) + tuple(self.stop_ids)
        samples = [
            Sample(ids, tuple(-0.1 for _ in ids), tuple(0.3 for _ in ids), greedy=i == 0)
            for i in range(policy.n)
        ]
        return samples, 0.0


def make(tmp_path: Path, engine: ScriptedEngine, raw: dict | None = None) -> Suggester:
    docs = DocumentStore()
    host = ModelHost(lambda options: engine)
    suggester = Suggester(docs, host, Telemetry(tmp_path / "telemetry.jsonl"))
    options, problems = parse(raw or {})
    assert not problems
    suggester.configure(options, RuleSet.default(), ConfidenceModel())
    docs.open(types.TextDocumentItem(URI, "python", 1, TEXT))
    return suggester


def end() -> types.Position:
    lines = TEXT.split("\n")
    return types.Position(len(lines) - 1, len(lines[-1]))


def type_at_end(suggester: Suggester, text: str) -> None:
    """The user types ``text`` at the cursor (document version 2)."""
    suggester.docs.change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=2, uri=URI),
            [types.TextDocumentContentChangePartial(range=types.Range(end(), end()), text=text)],
        )
    )


async def ready(suggester: Suggester) -> None:
    suggester.models.start(Options().model)
    await asyncio.wait_for(suggester.models.current_load, 10)


async def test_answer_then_cache_then_typing_through(tmp_path: Path) -> None:
    engine = ScriptedEngine()
    s = make(tmp_path, engine)
    await ready(s)
    first = await s.answer(URI, end(), Trigger.INVOKED, typing_through=True)
    assert first is not None and first.source == "model" and engine.calls == 1
    assert first.items[0].text == "width * height"
    again = await s.answer(URI, end(), Trigger.INVOKED, typing_through=True)
    assert again is not None and again.source == "cache" and engine.calls == 1
    # The user types the start of the suggestion: answered from what is on screen.
    type_at_end(s, "wid")
    typed = await s.answer(
        URI, types.Position(end().line, end().character + 3), Trigger.AUTOMATIC, typing_through=True
    )
    assert typed is not None and typed.source == "typing" and engine.calls == 1
    assert typed.items[0].text.endswith("th * height")
    assert s.stats.cache_hits == 1 and s.stats.typing_through == 1


async def test_a_newer_request_supersedes_the_running_one(tmp_path: Path) -> None:
    engine = ScriptedEngine()
    engine.release.clear()
    s = make(tmp_path, engine)
    await ready(s)
    older = asyncio.ensure_future(s.answer(URI, end(), Trigger.INVOKED, typing_through=False))
    await asyncio.to_thread(engine.started.wait, 5)
    newer = asyncio.ensure_future(s.answer(URI, end(), Trigger.AUTOMATIC, typing_through=False))
    await asyncio.to_thread(engine.cancelled.wait, 5)  # the model was told to stop
    with pytest.raises(asyncio.CancelledError):
        await older
    engine.release.set()
    answer = await newer
    assert answer is not None and answer.items and s.stats.superseded == 1


async def test_an_edit_makes_the_running_answer_stale(tmp_path: Path) -> None:
    engine = ScriptedEngine()
    engine.release.clear()
    s = make(tmp_path, engine)
    await ready(s)
    task = asyncio.ensure_future(s.answer(URI, end(), Trigger.INVOKED, typing_through=False))
    await asyncio.to_thread(engine.started.wait, 5)
    type_at_end(s, "x")
    s.stop(URI, "stale")  # what didChange does
    with pytest.raises(JsonRpcContentModified):
        await task
    assert engine.cancelled.is_set() and s.stats.stale == 1


async def test_cancelling_the_request_stops_the_model(tmp_path: Path) -> None:
    engine = ScriptedEngine()
    engine.release.clear()
    s = make(tmp_path, engine)
    await ready(s)
    task = asyncio.ensure_future(s.answer(URI, end(), Trigger.INVOKED, typing_through=False))
    await asyncio.to_thread(engine.started.wait, 5)
    task.cancel()  # what $/cancelRequest does
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(engine.cancelled.wait, 5)


async def test_automatic_requests_abstain_below_the_threshold(tmp_path: Path) -> None:
    engine = ScriptedEngine()
    s = make(tmp_path, engine, {"automatic": {"abstainBelow": 1.0}})
    await ready(s)
    answer = await s.answer(URI, end(), Trigger.AUTOMATIC, typing_through=False)
    assert answer is not None and answer.abstained and not answer.items
    assert 0 < answer.best_confidence < 1.0 and answer.abstain_below == 1.0
    invoked = await s.answer(URI, end(), Trigger.INVOKED, typing_through=False)
    assert invoked is not None and invoked.items  # asking never abstains


async def test_requests_before_the_model_is_ready_are_answered_at_once(tmp_path: Path) -> None:
    engine = ScriptedEngine()
    s = make(tmp_path, engine)
    assert await s.answer(URI, end(), Trigger.INVOKED, typing_through=False) is None
    assert engine.calls == 0 and s.stats.not_ready == 1


async def test_each_trigger_asks_the_engine_with_its_own_budget(tmp_path: Path) -> None:
    engine = ScriptedEngine(" = 1")
    s = make(tmp_path, engine)
    await ready(s)
    await s.answer(URI, end(), Trigger.AUTOMATIC, typing_through=False)
    type_at_end(s, " ")  # a new request, not the cached answer
    await s.answer(URI, end(), Trigger.INVOKED, typing_through=False)
    automatic, invoked = engine.policies
    # Typing: a short prompt and one sampled call; asking: the whole window and a greedy one.
    assert (automatic.prompt_tokens, automatic.include_greedy) == (256, False)
    assert (invoked.prompt_tokens, invoked.include_greedy) == (0, True)
