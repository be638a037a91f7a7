"""Fast tests of the server's own pure parts (no process, no model): positions, edits, options,
grounding, typing-through, the LRU cache, telemetry bounds and the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lsprotocol import types

from completion import GenerationTimings
from completion.workspace.neighbours import Neighbour, NeighbourIndex, jaccard, tokens
from lsp_server.cache import Answer, Item, LRUCache, TypingThrough
from lsp_server.config import Options, parse, section_of, to_wire
from lsp_server.documents import UTF8, UTF16, UTF32, Document
from lsp_server.report import format_text, percentile, read_events, summarise
from lsp_server.telemetry import Telemetry, rotated
from tests import factories

TEXT = "a = 1\r\nname = 'h\u00e9\U0001f600llo'\u2028 # c\rz\n"


@pytest.mark.parametrize(("encoding", "column"), [(UTF8, 15), (UTF16, 12), (UTF32, 11)])
def test_positions_follow_the_negotiated_encoding(encoding: str, column: int) -> None:
    doc = Document.create("file:///x.py", "python", 1, TEXT, encoding)
    # \r\n, \r and \n break lines; U+2028 (a break to str.splitlines) does not.
    assert doc.starts == (0, 7, 28, 30)
    offset = TEXT.index("llo")  # after the emoji: 2 UTF-16 units, 4 UTF-8 bytes
    pos = types.Position(1, column)
    assert doc.offset_at(pos) == offset
    assert doc.position_at(offset) == pos
    assert doc.offset_at(types.Position(0, 99)) == 5  # clamped before the line break
    assert doc.offset_at(types.Position(9, 0)) == len(TEXT)


def test_incremental_changes_and_span_moves() -> None:
    doc = Document.create("file:///x.py", "python", 1, "abcdef\nxyz\n")
    change = types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(0, 1), types.Position(0, 3)), text="12345"
    )
    edit = doc.apply(change, 2)
    assert edit.doc.text == "a12345def\nxyz\n" and edit.doc.version == 2
    assert (edit.start, edit.end, edit.inserted, edit.delta) == (1, 3, 5, 3)
    assert edit.moved_start(0) == 0 and edit.moved_start(3) == 6 and edit.moved_start(2) is None
    assert edit.moved_end(1) == 1 and edit.moved_end(4) == 7 and edit.moved_end(3) is None
    insert = doc.apply(
        types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(0, 2), types.Position(0, 2)), text="__"
        ),
        3,
    )
    assert insert.moved_start(2) == 4  # text typed at a span's start goes before it
    assert insert.moved_end(2) == 2  # ... and at its end, after it
    whole = doc.apply(types.TextDocumentContentChangeWholeDocument(text="new"), 4)
    assert whole.doc.text == "new" and whole.doc.starts == (0,)


def test_options_defaults_camel_case_and_errors() -> None:
    assert parse(None) == (Options(), [])
    assert section_of([]) is None  # Neovim sends an empty Lua table as []
    wire = to_wire(Options())
    assert wire["automatic"]["abstainBelow"] == 0.1 and wire["invoked"]["candidates"] == 6
    opts, problems = parse(section_of({"entropyComplete": {"invoked": {"temperature": 1}}}))
    assert problems == [] and opts.invoked.temperature == 1.0
    assert opts.invoked.candidates == 6  # a section keeps its own defaults for missing keys
    opts, problems = parse({"automatic": {"candidates": 99, "mode": "word"}, "x": 1})
    assert opts == Options()
    assert any("candidates must be 1..32" in p for p in problems)
    assert any("unknown option(s) (x)" in p for p in problems)
    _, problems = parse({"context": {"neighbouringTabs": "false"}})
    assert problems == ["expected true or false, got 'false' @ settings.context.neighbouringTabs"]
    assert parse({"trace": {"server": "verbose"}}) == (Options(), [])  # client-side key
    opts, problems = parse({"model": {"promptFormat": "fim"}})
    assert problems == [] and opts.model.prompt_format == "fim"
    _, problems = parse({"model": {"promptFormat": "middle"}})
    assert any("model.promptFormat must be one of auto, fim, spm, prefix" in p for p in problems)


def test_prompt_format_option_reaches_the_engine() -> None:
    from lsp_server.config import ModelOptions
    from lsp_server.model_host import load_engine

    # The shipped model asks for suffix-first prompts; the option can force another layout.
    shipped = load_engine(ModelOptions(threads=1)).prompt_template
    assert shipped is not None and shipped.order == "spm"
    forced = load_engine(ModelOptions(threads=1, prompt_format="fim")).prompt_template
    assert forced is not None and forced.family == "starcoder" and forced.order == "psm"
    assert load_engine(ModelOptions(threads=1, prompt_format="prefix")).prompt_template is None


def test_neighbouring_tabs_pick_the_similar_window() -> None:
    assert jaccard(tokens("a b c"), tokens("b c d")) == 0.5
    other = "def unrelated():\n    pass\n" * 10 + "def area(self):\n    return self.w * self.h\n"
    index = NeighbourIndex()
    snippets = index.snippets(
        "class Square:\n    def area(self):\n        return self.",
        48,
        [Neighbour("file:///r.py", 1, "r.py", other), Neighbour("file:///e.py", 1, "e.py", "")],
        window_lines=4,
    )
    assert len(snippets) == 1 and "return self.w * self.h" in snippets[0].text
    assert snippets[0].as_context().startswith("Compare this snippet from r.py:")
    assert index.snippets("x", 1, [], max_snippets=0) == ()


def _item(text: str, i: int = 0) -> Item:
    return factories.item(text, id=f"id-{i}", start=10, mean_logprob=-0.3)


def test_typing_through_only_while_typing_the_suggestion() -> None:
    tt = TypingThrough()
    text = "x = foo(" + ")\n"
    tt.remember("u", text, 8, (_item("bar, baz", 0), _item("qux", 1)))
    typed = "x = foo(ba" + ")\n"
    (rest,) = tt.answer("u", typed, 10)
    assert rest.text == "r, baz" and rest.full_text == "bar, baz" and rest.id == "id-0"
    assert tt.answer("u", "x = foo(bx)\n", 10) == ()  # diverged
    assert tt.answer("u", "y = foo(ba)\n", 10) == ()  # edited elsewhere
    assert tt.answer("u", text, 8) == ()  # nothing typed: ask the cache or the model


def test_lru_cache_evicts_the_least_recent() -> None:
    cache = LRUCache(2)
    answers = [Answer(uri="u", version=i, offset=0, items=(), source="model") for i in range(3)]
    cache.put("a", answers[0])
    cache.put("b", answers[1])
    assert cache.get("a") is answers[0]  # a is now the most recent
    cache.put("c", answers[2])
    assert cache.get("b") is None and len(cache) == 2


def test_telemetry_stays_bounded_and_report_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    tel = Telemetry(path, max_bytes=20_000)
    timings = GenerationTimings(prompt=0.001, generate=0.02, rank=0.003)
    for i in range(200):
        item = _item("secret source", i)
        tel.shown(
            f"r{i}",
            (item,),
            trigger="automatic",
            language="python",
            timings=timings,
            total=0.03 + i / 1000,
            n_samples=3,
        )
        if i % 4 == 0:
            tel.write({"event": "accept", "id": item.id})
    tel.close()
    assert path.stat().st_size + rotated(path).stat().st_size <= 20_000
    assert "secret source" not in path.read_text()  # no text unless opted in
    report = summarise(read_events(path))
    assert 0 < report["shown"] < 200 and report["accepted"] > 0
    assert report["acceptance_rate"] == pytest.approx(0.25, abs=0.05)
    assert report["by_confidence"][5]["shown"] == report["shown"]  # confidence 0.5
    # Accepted a quarter of the time at confidence 0.5: the report shows the gap.
    assert report["calibration_gap"] == pytest.approx(abs(report["acceptance_rate"] - 0.5))
    assert report["latency_ms"]["total"]["p95"] >= report["latency_ms"]["total"]["p50"]
    assert percentile([3.0, 1.0, 2.0, 4.0], 50) == 2.0
    assert json.loads(path.read_text().splitlines()[0])["event"] == "shown"


def test_report_counts_abstentions_that_stopped_early(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    tel = Telemetry(path)
    common = {"trigger": "automatic", "language": "python", "total": 0.02, "n_samples": 3}
    for i, gave_up_at in enumerate([0, 3, 4]):
        timings = GenerationTimings(generate=0.01)
        ahead = i == 2  # the server had started it before the editor asked
        tel.shown(f"r{i}", (), timings=timings, gave_up_at=gave_up_at, ahead=ahead, **common)  # type: ignore[arg-type]
    tel.close()
    events = list(read_events(path))
    assert [e.get("gave_up_at") for e in events] == [None, 3, 4]
    assert [e.get("started_before_asked") for e in events] == [None, None, True]
    report = summarise(events)
    assert report["abstained"] == 3 and report["stopped_early"] == 2
    assert report["started_before_asked"] == 1
    text = format_text(report, path)
    assert "(abstained 3, 2 of them stopped early; 1 started before asked)" in text
