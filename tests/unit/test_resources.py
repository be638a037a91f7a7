"""Memory stays bounded (#16): caches bounded in bytes and freed on close, no Future kept per
notification by the LSP library, one copy of each document."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

from completion.workspace.neighbours import Neighbour, NeighbourIndex, windows
from lsp_server.cache import Answer, LRUCache
from lsp_server.server import build_server
from lsp_server.telemetry import Telemetry
from tests import factories

LINE = "def handler(request, response):\n    return response.write(request.body)\n"


def test_neighbour_index_keeps_one_version_per_file_within_its_bytes() -> None:
    index = NeighbourIndex(max_bytes=3_000_000)
    big = LINE * 30_000  # 2 MB: only its first 200,000 characters are indexed
    for version in range(12):  # every edit of a neighbour used to add an entry (17.6 MB a MB)
        index.snippets(LINE * 3, len(LINE) * 2, [Neighbour("file:///big.py", version, "b", big)])
    assert len(index) == 1 and 0 < index.bytes < 3_000_000
    others = [Neighbour(f"file:///{i}.py", 1, f"{i}.py", LINE * 2000 + str(i)) for i in range(40)]
    snippets = index.snippets(LINE * 3, len(LINE) * 2, others)
    assert snippets and snippets[0].text.startswith("def handler")
    assert index.bytes <= 3_000_000 and len(index) < 41
    for n in others:
        index.forget(n.key)
    index.forget("file:///big.py")
    assert len(index) == 0 and index.bytes == 0


def test_an_edited_neighbour_retokenises_only_the_windows_the_edit_touched() -> None:
    lines = [f"def f{i}(a{i}, b{i}):\n    return a{i} + b{i}\n" for i in range(400)]
    before = windows("".join(lines), 20)
    lines[200] = lines[200].replace("return", "return 1 +")
    after = windows("".join(lines), 20, before)
    assert [(w.start, w.end, w.tokens, w.cost) for w in after] == [
        (w.start, w.end, w.tokens, w.cost) for w in windows("".join(lines), 20)
    ]
    old = {id(w.tokens) for w in before}
    fresh = [w for w in after if id(w.tokens) not in old]
    # The edited line is in two of the half-overlapping windows; the others kept their sets.
    assert len(fresh) == 2 and all("1" in w.tokens for w in fresh)
    assert len(after) == len(before)


def _answer(uri: str, text: str) -> Answer:
    item = factories.item(text)
    return Answer(uri=uri, version=1, offset=0, items=(item,), source="model")


def test_answer_cache_is_bounded_in_bytes_and_forgets_a_closed_document() -> None:
    cache = LRUCache(capacity=1000, max_bytes=100_000)
    for i in range(100):
        cache.put(f"k{i}", _answer(f"file:///{i % 3}.py", "x" * 2_000))
    assert cache.bytes <= 100_000 and 0 < len(cache) < 100
    assert cache.get("k99") is not None and cache.get("k0") is None  # oldest went first
    cache.forget("file:///0.py")
    assert all(a.uri != "file:///0.py" for a, _ in cache._data.values())
    assert cache.bytes == sum(size for _, size in cache._data.values())


def _notify(server: Any, method: str, params: dict[str, Any], msg_id: int | None = None) -> None:
    message = {"jsonrpc": "2.0", "method": method, "params": params}
    if msg_id is not None:
        message["id"] = msg_id
    server.protocol.handle_message(server.protocol.structure_message(message))


class Sink:
    """The client's end of the pipe: what the server writes."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    def close(self) -> None:
        pass


def test_notifications_leave_nothing_behind(tmp_path) -> None:
    """pygls 2.1 kept the Future of every notification in ``_request_futures`` (~2 KB each)."""
    server = build_server(Telemetry(tmp_path / "t.jsonl"))
    sink = Sink()
    server.protocol.set_writer(sink)
    _notify(server, "initialize", {"processId": None, "capabilities": {}}, msg_id=1)
    assert b'"capabilities"' in sink.data
    uri = "file:///leak.py"
    doc = {"uri": uri, "languageId": "python", "version": 1, "text": LINE * 100}
    _notify(server, "textDocument/didOpen", {"textDocument": doc})

    def edits(n: int, first: int) -> None:
        for v in range(first, first + n):
            pos = {"line": 3, "character": 0}
            change = {"range": {"start": pos, "end": pos}, "text": "x"}
            _notify(
                server,
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": v}, "contentChanges": [change]},
            )

    def grown_by(n: int, first: int) -> int:
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        edits(n, first)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        return grown

    edits(500, 2)  # warm caches (lsprotocol converters, pygls' type lookups)
    # tracemalloc counts every thread of this worker and any global table that resizes meanwhile
    # (one such event cost the index-figures test its bound in CI), so a figure over the bound
    # is measured again: a leak (~2 KB an edit) exceeds it every time; 18 KB measured alone.
    grown = grown_by(2000, 502)
    for attempt in range(2):
        if grown < 1_000_000:
            break
        grown = min(grown, grown_by(2000, 2502 + 2000 * attempt))
    assert len(server.protocol._request_futures) == 0
    assert grown < 1_000_000, grown  # was ~4 MB for 2,000 edits
    assert server.docs.get(uri) is not None and server.docs.get(uri).text.count("x") >= 2500
    # pygls keeps no second copy of the text (it re-split all of it on every edit).
    assert uri not in server.workspace.text_documents
    _notify(server, "textDocument/didClose", {"textDocument": {"uri": uri}})
    assert server.docs.get(uri) is None and len(server.protocol._request_futures) == 0
