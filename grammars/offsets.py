"""Conversions between Python str offsets (code points) and tree-sitter's UTF-8 byte offsets."""

from __future__ import annotations

# surrogatepass keeps lone surrogates (possible in editor buffers) encodable; they become
# three bytes each in both directions, so the conversions stay inverse to each other.
_ERRORS = "surrogatepass"


def encode(text: str) -> bytes:
    """The UTF-8 bytes tree-sitter parses for `text`."""
    return text.encode("utf-8", _ERRORS)


def char_to_byte(text: str, offset: int) -> int:
    """The byte offset in `encode(text)` of code-point offset `offset` (clamped to the text)."""
    offset = max(0, min(offset, len(text)))
    if text.isascii():
        return offset
    return len(text[:offset].encode("utf-8", _ERRORS))


def byte_to_char(data: bytes, offset: int) -> int:
    """The code-point offset of byte offset `offset` in UTF-8 `data` (clamped to the data).

    An offset inside a multi-byte character maps to the start of that character.
    """
    offset = max(0, min(offset, len(data)))
    if data.isascii():
        return offset
    # Back off continuation bytes (0b10xxxxxx) so the slice ends on a character boundary.
    while offset > 0 and offset < len(data) and data[offset] & 0xC0 == 0x80:
        offset -= 1
    return len(data[:offset].decode("utf-8", _ERRORS))
