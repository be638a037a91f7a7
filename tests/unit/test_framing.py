"""The framer: bodies split by Content-Length, memory bounded, and the stream found again at the
next valid header after junk, bad headers, oversize frames and frames shorter than declared."""

from __future__ import annotations

import json

from lsp_server.framing import MAX_HEADER, Framer, Malformed
from lsp_server.rpc import decode


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def drain(framer: Framer) -> list[bytes | Malformed]:
    out = []
    while (item := framer.next()) is not None:
        out.append(item)
    return out


def bodies(framer: Framer, data: bytes, chunk: int = 0) -> list[bytes]:
    """Feeds ``data`` (in ``chunk``-sized reads if given); the bodies, rejecting non-JSON."""
    out: list[bytes] = []
    step = chunk or len(data) or 1
    for i in range(0, len(data), step):
        framer.feed(data[i : i + step])
        while (item := framer.next()) is not None:
            if isinstance(item, Malformed):
                continue
            try:
                json.loads(item)
                out.append(item)
            except ValueError:
                framer.reject(item)
    return out


A, B = b'{"id":1}', b'{"id":2,"x":"a\\u00e9"}'


def test_frames_in_any_chunking() -> None:
    data = frame(A) + b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n" + frame(B)
    for chunk in (0, 1, 3, 7):
        assert bodies(Framer(), data, chunk) == [A, B]
    lower = b"content-length: %d\r\n\r\n" % len(A) + A  # header names are case-insensitive
    assert bodies(Framer(), lower) == [A]


def test_junk_and_bad_headers_are_skipped() -> None:
    for junk in (
        b"\x00\xff garbage",
        b"Content-Length: abc\r\n\r\n{}",
        b"Content-Length: -5\r\n\r\n{}",
        b"Content-Length 12\r\n\r\n",
        b"\r\n\r\n",
        b"Content-Length: 99999999999999999999999\r\n\r\n",
    ):
        framer = Framer()
        framer.feed(junk + frame(A))
        items = drain(framer)
        assert items[-1] == A, junk
        assert all(isinstance(i, Malformed) for i in items[:-1])


def test_oversize_frame_is_skipped_without_allocating_it() -> None:
    framer = Framer(max_body=1024)
    framer.feed(b"Content-Length: 100000000000\r\n\r\n" + b"x" * 5000)
    items = drain(framer)
    assert items and "over the 1024 limit" in str(items[0])
    assert len(framer._buf) < 100  # the skipped bytes are not kept
    framer.feed(frame(A))
    assert drain(framer)[-1] == A


def test_truncated_frame_does_not_swallow_the_next() -> None:
    # The header says 200 bytes; the next frame starts after 10: found at once, not after 200.
    framer = Framer()
    framer.feed(b"Content-Length: 200\r\n\r\n" + A[:5] + frame(A))
    items = drain(framer)
    assert isinstance(items[0], Malformed) and items[-1] == A
    # Declared a little too long: the body ends inside the next header; rejecting it finds it.
    data = b"Content-Length: %d\r\n\r\n" % (len(A) + 4) + A + frame(B)
    for chunk in (0, 1, 5):
        assert bodies(Framer(), data, chunk) == [B]
    # Declared longer than the next whole header: found inside the body, not swallowed.
    for declared in (len(frame(B)) - 3, 30, len(frame(B)) + 1):
        data = b"Content-Length: %d\r\n\r\n" % declared + frame(B) + frame(A)
        for chunk in (0, 1, 7):
            assert bodies(Framer(), data, chunk) == [B, A], (declared, chunk)
    # A body that is not JSON and holds no header start is dropped whole.
    framer = Framer()
    framer.reject(b"{not json at all")
    assert drain(framer) == []


def test_unbounded_header_is_cut() -> None:
    framer = Framer()
    framer.feed(b"Content-Length: 5\r\n" + b"X-Pad: " + b"a" * (2 * MAX_HEADER))
    assert any(isinstance(i, Malformed) for i in drain(framer))
    framer.feed(b"\r\n" + frame(A))
    assert drain(framer)[-1] == A


def test_decode_replaces_lone_surrogates_everywhere() -> None:
    value = decode(b'{"uri":"untitled:\\ud800","text":["a\\udfffb","\\ud83d\\ude00"]}')
    assert value == {"uri": "untitled:\ufffd", "text": ["a\ufffdb", "\U0001f600"]}
    assert decode(b'{"text":"\\u0000\\r\\n"}') == {"text": "\x00\r\n"}  # kept as sent
