"""Splits the incoming byte stream into LSP message bodies (``Content-Length`` framing), bounded
in memory and resynchronising at the next valid header after anything malformed.

Sans-IO: the stdio and TCP transports feed it the bytes they read. pygls' own reader keeps a
whole line of any length in memory, allocates whatever ``Content-Length`` promises (a header of
100 GB killed the server) and, after one frame whose body was shorter than its header said,
reads every later frame out of step, so nothing was answered again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BODY = 64 * 1024 * 1024  # bytes; a bigger frame is skipped (a 64 MiB document is absurd)
MAX_HEADER = 8 * 1024  # bytes of header lines before the blank line
# A header anywhere: junk before it (random bytes, the rest of a broken frame) is dropped.
_CONTENT_LENGTH = re.compile(rb"content-length:[ \t]*(\d{1,20})[ \t]*\r\n", re.IGNORECASE)
_NAME = b"content-length:"
_PARTIAL_VALUE = re.compile(rb"[ \t]*\d{0,20}[ \t]*\r?")
_HEADER_LINE = re.compile(rb"[A-Za-z][A-Za-z0-9-]*:[^\r\n]*\r\n")
# Bytes kept while searching, so a header split across two reads is still found.
_KEEP = 48


@dataclass(frozen=True, slots=True)
class Malformed:
    """Bytes the framer skipped, and why (for one line in the log)."""

    reason: str
    skipped: int


class Framer:
    """``feed(bytes)`` adds what was read; ``next()`` gives the next body or skip, or None until
    more bytes arrive. One at a time, so that a rejected body is searched before later ones."""

    def __init__(self, max_body: int = MAX_BODY) -> None:
        self.max_body = max_body
        self._buf = bytearray()
        self._body_start = -1  # where the current frame's body begins, once its header is read
        self._length = 0
        self._scanned = 0  # how far the current body was searched for a following header

    def feed(self, data: bytes) -> None:
        self._buf += data

    def next(self) -> bytes | Malformed | None:
        return self._body() if self._body_start >= 0 else self._header()

    def reject(self, body: bytes) -> None:
        """A body that was not JSON: if it ends with the start of a header (its own header said
        a few bytes too many), those bytes go back to be read again as the next frame's."""
        tail = body[-_KEEP:]
        low = tail.lower()
        for j in range(len(tail)):
            rest = low[j:]
            head, more = rest[: len(_NAME)], rest[len(_NAME) :]
            if _NAME.startswith(head) and (not more or _PARTIAL_VALUE.fullmatch(more)):
                self._buf[:0] = tail[j:]
                return

    def _skip(self, n: int, reason: str) -> Malformed:
        del self._buf[:n]
        return Malformed(reason, n)

    def _header(self) -> bytes | Malformed | None:
        buf = self._buf
        m = _CONTENT_LENGTH.search(buf)
        if m is None:
            if len(buf) > _KEEP:
                return self._skip(len(buf) - _KEEP, "bytes outside a frame")
            return None
        # Other header lines (Content-Type) may come first; anything else is junk.
        pos = 0
        while pos < m.start() and (line := _HEADER_LINE.match(buf, pos, m.start())):
            pos = line.end()
        if pos != m.start():
            return self._skip(m.start(), "bytes outside a frame")
        pos = m.end()
        while not buf.startswith(b"\r\n", pos):
            line = _HEADER_LINE.match(buf, pos)
            if line is None:
                if b"\r\n" in buf[pos : pos + MAX_HEADER] or len(buf) - pos > MAX_HEADER:
                    return self._skip(m.end(), "malformed header")
                return None  # the rest of the header has not arrived
            pos = line.end()
        length = int(m.group(1))
        if length > self.max_body:
            return self._skip(pos + 2, f"frame of {length} bytes over the {self.max_body} limit")
        self._body_start, self._length, self._scanned = pos + 2, length, pos + 2
        return self._body()

    def _body(self) -> bytes | Malformed | None:
        buf, start = self._buf, self._body_start
        end = start + self._length
        # A header inside the body: the body was shorter than its header said (a valid JSON
        # body never holds one, as JSON strings cannot contain a raw line break). Searched as
        # bytes arrive, so a truncated frame does not wait for bytes that never come.
        m = _CONTENT_LENGTH.search(buf, max(start, self._scanned - _KEEP), min(end, len(buf)))
        if m is not None:
            self._body_start = -1
            return self._skip(m.start(), "frame shorter than its Content-Length")
        if len(buf) < end:
            self._scanned = len(buf)
            return None
        body = bytes(buf[start:end])
        del buf[:end]
        self._body_start = -1
        return body
