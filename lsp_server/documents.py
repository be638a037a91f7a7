"""Open documents as immutable snapshots, and the only LSP position <-> str offset conversion.

LSP positions count columns in the negotiated encoding (UTF-16 unless the client offered
UTF-8 or UTF-32) and break lines only at \\n, \\r\\n and \\r; the engine takes Python str offsets
(code points). Everything that turns one into the other lives here.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import accumulate

from lsprotocol import types
from pygls.uris import to_fs_path

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def char_units(c: str, encoding: str) -> int:
    """Code units of one character in the position encoding."""
    o = ord(c)
    if encoding == UTF16:
        return 2 if o > 0xFFFF else 1
    if encoding == UTF8:
        return 1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4
    return 1


def units(s: str, encoding: str) -> int:
    """Length of ``s`` in code units of the position encoding."""
    if encoding == UTF32 or s.isascii():
        return len(s)
    if encoding == UTF16:
        return len(s.encode("utf-16-le")) // 2
    return len(s.encode("utf-8"))


def column_index(line: str, column: int, encoding: str) -> int:
    """The str index in ``line`` of a column given in code units (clamped to the line)."""
    if encoding == UTF32 or line.isascii():
        return max(0, min(column, len(line)))
    seen = 0
    for i, c in enumerate(line):
        if seen >= column:
            return i
        seen += char_units(c, encoding)
    return len(line)


def line_starts(text: str) -> tuple[int, ...]:
    """Offsets where each line begins (LSP line breaks only, not str.splitlines' extras)."""
    if "\r" not in text:  # 10x faster than the regex: 30 ms for a 10 MB file
        return tuple(accumulate((len(line) + 1 for line in text.split("\n")), initial=0))[:-1]
    return (0, *(m.end() for m in _LINE_BREAK.finditer(text)))


def edited_starts(
    starts: tuple[int, ...], text: str, start: int, end: int, inserted: int
) -> tuple[int, ...]:
    """``line_starts`` of ``text``, which is the old text with [start, end) replaced by
    ``inserted`` code points: only the edited lines are scanned, the others are shifted (a
    keystroke in a 10 MB file must not rescan it)."""
    delta = inserted - (end - start)
    k = bisect_right(starts, max(0, start - 1)) - 1  # the line before the edit's is unchanged
    j = bisect_right(starts, end + 1)  # lines starting past the edit only move
    seg_end = starts[j] + delta if j < len(starts) else len(text)
    a = starts[k]
    local = [a + s for s in line_starts(text[a:seg_end])[1:]]
    if j < len(starts):
        local = [s for s in local if s < seg_end]  # starts[j] comes with the moved lines
    return (*starts[: k + 1], *local, *(s + delta for s in starts[j:]))


@dataclass(frozen=True, slots=True)
class Document:
    """One version of an open document; a new snapshot replaces it on every change."""

    uri: str
    language_id: str
    version: int
    text: str
    encoding: str = UTF16
    starts: tuple[int, ...] = (0,)

    @classmethod
    def create(
        cls, uri: str, language_id: str, version: int, text: str, encoding: str = UTF16
    ) -> Document:
        return cls(uri, language_id, version, text, encoding, line_starts(text))

    @property
    def path(self) -> str | None:
        return to_fs_path(self.uri)

    def _line_end(self, line: int) -> int:
        """Offset of the end of ``line``, before its line break."""
        if line + 1 >= len(self.starts):
            return len(self.text)
        end = self.starts[line + 1]
        brk = self.text[end - 2 : end]
        return end - (2 if brk == "\r\n" else 1)

    def offset_at(self, position: types.Position) -> int:
        """The str offset of an LSP position (clamped to the document)."""
        if position.line >= len(self.starts):
            return len(self.text)
        start = self.starts[position.line]
        line = self.text[start : self._line_end(position.line)]
        return start + column_index(line, position.character, self.encoding)

    def position_at(self, offset: int) -> types.Position:
        """The LSP position of a str offset (clamped to the document)."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        return types.Position(line, units(self.text[start:offset], self.encoding))

    def range_of(self, start: int, end: int) -> types.Range:
        return types.Range(self.position_at(start), self.position_at(end))

    def apply(self, change: types.TextDocumentContentChangeEvent, version: int) -> Edit:
        """The edit a content change makes, and the next snapshot."""
        if isinstance(change, types.TextDocumentContentChangePartial):
            start = self.offset_at(change.range.start)
            end = max(start, self.offset_at(change.range.end))
        else:
            start, end = 0, len(self.text)
        text = self.text[:start] + change.text + self.text[end:]
        starts = edited_starts(self.starts, text, start, end, len(change.text))
        doc = replace(self, version=version, text=text, starts=starts)
        return Edit(start, end, len(change.text), doc)


@dataclass(frozen=True, slots=True)
class Edit:
    """[start, end) of the old text was replaced by ``inserted`` code points, giving ``doc``."""

    start: int
    end: int
    inserted: int
    doc: Document

    @property
    def delta(self) -> int:
        return self.inserted - (self.end - self.start)

    def moved_start(self, offset: int) -> int | None:
        """Where the start of a span is now; None if the edit replaced its first character.

        Text inserted right at a span's start goes before the span.
        """
        if offset < self.start:
            return offset
        return offset + self.delta if offset >= self.end else None

    def moved_end(self, offset: int) -> int | None:
        """Where the (exclusive) end of a span is now; None if its last character was replaced.

        Text inserted right at a span's end goes after the span.
        """
        if offset <= self.start:
            return offset
        return offset + self.delta if offset > self.end else None


class DocumentStore:
    """The open documents by URI, as the client synchronised them."""

    def __init__(self) -> None:
        self._docs: dict[str, Document] = {}
        self.encoding = UTF16

    def set_encoding(self, encoding: str | None) -> None:
        self.encoding = encoding if encoding in (UTF8, UTF16, UTF32) else UTF16

    def open(self, item: types.TextDocumentItem) -> Document:
        doc = Document.create(item.uri, item.language_id, item.version, item.text, self.encoding)
        self._docs[item.uri] = doc
        return doc

    def change(self, params: types.DidChangeTextDocumentParams) -> list[Edit]:
        """Applies the changes in order; the edits let others move their offsets along."""
        doc = self._docs.get(params.text_document.uri)
        if doc is None:
            return []
        edits = []
        for change in params.content_changes:
            edit = doc.apply(change, params.text_document.version)
            edits.append(edit)
            doc = edit.doc
        self._docs[doc.uri] = doc
        return edits

    def close(self, uri: str) -> None:
        self._docs.pop(uri, None)

    def get(self, uri: str) -> Document | None:
        return self._docs.get(uri)

    def __iter__(self) -> Iterator[Document]:
        return iter(list(self._docs.values()))
