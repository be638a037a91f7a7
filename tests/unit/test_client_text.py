"""Client text at the edge: bad edit ranges neither corrupt nor crash a document, mixed line
breaks keep the client's positions, and a decoded lone surrogate encodes everywhere."""

from __future__ import annotations

import json

from lsprotocol import types

from lsp_server.documents import UTF8, UTF16, Document, line_starts
from lsp_server.rpc import decode


def _edit(doc: Document, start: tuple[int, int], end: tuple[int, int], text: str) -> Document:
    rng = types.Range(types.Position(*start), types.Position(*end))
    edit = doc.apply(types.TextDocumentContentChangePartial(range=rng, text=text), doc.version + 1)
    assert edit.doc.starts == line_starts(edit.doc.text)  # the line index stays true
    return edit.doc


def test_bad_ranges_insert_at_a_clamped_place_and_delete_nothing_else() -> None:
    doc = Document.create("file:///a.py", "python", 1, "ab\ncd\n")
    assert _edit(doc, (1, 1), (0, 0), "X").text == "ab\ncXd\n"  # end before start: insert
    assert _edit(doc, (99, 0), (120, 9), "X").text == "ab\ncd\nX"  # past the end: append
    assert _edit(doc, (0, 99), (0, 200), "X").text == "abX\ncd\n"  # past the line: its end
    assert _edit(doc, (0, 1), (99, 0), "").text == "a"  # to far past the end: the rest


def test_mixed_line_breaks_keep_the_clients_positions() -> None:
    text = "a\r\nbé\rc\n\x00d"
    doc = Document.create("file:///m.py", "python", 1, text)
    assert len(doc.starts) == 4  # \r\n, \r and \n each end one line, as in LSP
    for line, col in ((0, 1), (1, 2), (2, 1), (3, 2)):
        pos = types.Position(line, col)
        assert doc.position_at(doc.offset_at(pos)) == pos
    assert doc.offset_at(types.Position(0, 5)) == 1  # clamped before the \r\n, never inside


def test_a_decoded_lone_surrogate_is_text_every_encoder_takes() -> None:
    body = json.dumps({"text": "x = '\ud800'\n", "uri": "untitled:\udfff"}).encode()
    value = decode(body)
    doc = Document.create(value["uri"], "python", 1, value["text"], UTF16)
    assert doc.text.encode("utf-8") == b"x = '\xef\xbf\xbd'\n"
    assert doc.uri == "untitled:\ufffd"  # the same key for every later message naming it
    assert doc.position_at(len(doc.text)) == types.Position(1, 0)
    assert doc.offset_at(types.Position(0, 7)) == 7  # U+FFFD is one UTF-16 unit, as \ud800 was
    utf8 = Document.create("file:///u.py", "python", 1, value["text"], UTF8)
    assert utf8.position_at(6) == types.Position(0, 8)  # three UTF-8 bytes, as WTF-8 \ud800
