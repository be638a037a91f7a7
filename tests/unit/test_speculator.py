"""The request started before the editor asks (lsp_server/speculation.py), in-process with the
scripted engine: what it starts and when, what a request takes over, how the wait adapts to
typing faster than the editor asks, and that nothing is logged as shown before a request."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from lsprotocol import types

from lsp_server.speculation import BURST_S, Speculator
from lsp_server.suggestions import Suggester, Trigger
from tests.unit.test_request_path import TEXT, URI, ScriptedEngine, end, make, ready


class LocalEngine(ScriptedEngine):
    """A scripted engine that keeps prefixes, as the local CTranslate2 one does."""

    def warm_prefix(self, prompt) -> bool:
        return False


def type_char(s: Suggester, version: int, ch: str = "w") -> int:
    """Types ``ch`` at the end of the document; the cursor offset after it."""
    doc = s.docs.get(URI)
    assert doc is not None
    pos = doc.position_at(len(doc.text))
    s.docs.change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=version, uri=URI),
            [types.TextDocumentContentChangePartial(range=types.Range(pos, pos), text=ch)],
        )
    )
    s.stop(URI, "stale")  # as the server's didChange does
    return len(TEXT) + version - 1


def at(offset: int) -> types.Position:
    return types.Position(end().line, offset - len(TEXT) + end().character)


async def speculator(tmp_path: Path, engine: ScriptedEngine, raw: dict) -> Speculator:
    """A ready suggester with ``raw`` settings, and its speculator."""
    s = make(tmp_path, engine, raw)
    await ready(s)
    return Speculator(s)


def events(s: Suggester) -> list[dict]:
    s.telemetry.close()  # flushed; the next event opens the file again
    path = s.telemetry.path
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def started(s: Suggester, count: int) -> None:
    for _ in range(200):
        if s.stats.speculations >= count:
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"{count} starts expected, {s.stats.speculations} seen")


async def started_at_a_keystroke(
    tmp_path: Path, raw: dict, engine: LocalEngine | None = None
) -> tuple[LocalEngine, Speculator, Suggester]:
    """A keystroke (document version 2) whose request has started, with ``raw`` settings."""
    engine = engine or LocalEngine()
    spec = await speculator(tmp_path, engine, raw)
    spec.start(URI, type_char(spec.suggester, 2))
    await started(spec.suggester, 1)
    return engine, spec, spec.suggester


async def test_the_request_takes_over_and_is_logged_once(tmp_path: Path) -> None:
    engine, spec, s = await started_at_a_keystroke(tmp_path, {"speculateAfterMs": 10})
    await asyncio.sleep(0.05)
    assert events(s) == []  # computed, but nothing was shown yet
    answer = await spec.answer(URI, at(len(TEXT) + 1), Trigger.AUTOMATIC, typing_through=True)
    assert answer is not None and answer.items and engine.calls == 1
    assert (s.stats.requests, s.stats.speculations_used, s.stats.cache_hits) == (1, 1, 0)
    shown = events(s)
    assert [e["event"] for e in shown] == ["shown"] * len(answer.items)
    assert all(e["started_before_asked"] for e in shown)
    # Taken over means cached too: the same request again needs no model.
    again = await spec.answer(URI, at(len(TEXT) + 1), Trigger.AUTOMATIC, typing_through=False)
    assert again is not None and again.source == "cache" and engine.calls == 1


async def test_the_log_has_what_the_editor_waited_beside_the_generation_time(
    tmp_path: Path,
) -> None:
    """``latency_ms.waited`` runs from the editor's request to its answer: close to nothing
    for an answer computed before it was asked, at least the generation's time otherwise."""
    engine = LocalEngine()
    spec = await speculator(tmp_path, engine, {"speculateAfterMs": 10, "cacheSize": 0})
    s = spec.suggester

    async def hold(seconds: float) -> None:
        """Lets the generation that starts next run ``seconds`` at least."""
        while not engine.started.is_set():
            await asyncio.sleep(0.002)
        await asyncio.sleep(seconds)
        engine.release.set()

    for trigger in (Trigger.AUTOMATIC, Trigger.INVOKED):
        engine.started.clear()
        engine.release.clear()
        held = asyncio.create_task(hold(0.08))
        if trigger is Trigger.AUTOMATIC:  # started at the keystroke, done before it is asked
            spec.start(URI, type_char(s, 2))
            await held
            await asyncio.sleep(0.05)
        await spec.answer(URI, at(len(TEXT) + 1), trigger, typing_through=False)
        await held
        event = events(s)[-1]
        latency = event["latency_ms"]
        if trigger is Trigger.AUTOMATIC:
            assert event["started_before_asked"]
            assert latency["total"] >= 80 and latency["waited"] < 40, latency
        else:
            assert "started_before_asked" not in event
            assert latency["waited"] >= latency["total"] >= 80, latency


async def test_keystrokes_within_the_wait_start_nothing(tmp_path: Path) -> None:
    engine = LocalEngine()
    spec = await speculator(tmp_path, engine, {"speculateAfterMs": 100})
    s = spec.suggester
    for version in range(2, 6):  # four keystrokes 10 ms apart: none waits out 100 ms
        spec.start(URI, type_char(s, version))
        await asyncio.sleep(0.01)
    await started(s, 1)  # only the last one, after the pause
    await asyncio.sleep(0.15)
    assert s.stats.speculations == 1 and engine.calls == 1


async def test_typing_faster_than_the_editor_asks_doubles_the_wait_and_a_take_over_halves_it(
    tmp_path: Path,
) -> None:
    engine = LocalEngine()
    engine.release.clear()  # a started generation runs until the next keystroke stops it
    engine, spec, s = await started_at_a_keystroke(tmp_path, {"speculateAfterMs": 20}, engine)
    spec.start(URI, type_char(s, 3))  # soon after: that start was for nothing
    assert spec._wait(URI) == 0.04
    await started(s, 2)
    spec.start(URI, type_char(s, 4))
    assert spec._wait(URI) == 0.08
    engine.release.set()
    answer = await spec.answer(URI, at(len(TEXT) + 3), Trigger.AUTOMATIC, typing_through=False)
    assert answer is not None and s.stats.speculations_used == 1
    assert spec._wait(URI) == 0.04  # halved, down to speculateAfterMs at least


async def test_an_unasked_start_after_a_pause_keeps_the_wait(tmp_path: Path) -> None:
    """A paste, or a line the editor did not ask about: no sign of fast typing."""
    _, spec, s = await started_at_a_keystroke(tmp_path, {"speculateAfterMs": 10})
    await asyncio.sleep(BURST_S + 0.05)
    spec.start(URI, type_char(s, 3))
    assert spec._wait(URI) == 0.01


async def test_a_remote_engine_or_the_setting_off_starts_nothing(tmp_path: Path) -> None:
    for engine, raw in ((ScriptedEngine(), {}), (LocalEngine(), {"speculate": False})):
        spec = await speculator(tmp_path, engine, {"speculateAfterMs": 0, **raw})
        s = spec.suggester
        spec.start(URI, type_char(s, 2))
        await asyncio.sleep(0.05)
        assert s.stats.speculations == 0 and engine.calls == 0


async def test_shutdown_drops_what_waits(tmp_path: Path) -> None:
    engine = LocalEngine()
    spec = await speculator(tmp_path, engine, {"speculateAfterMs": 30})
    spec.start(URI, type_char(spec.suggester, 2))
    spec.stop_all()
    await asyncio.sleep(0.1)
    assert spec.suggester.stats.speculations == 0 and engine.calls == 0
