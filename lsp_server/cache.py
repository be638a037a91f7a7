"""Cheap answers before the model: an LRU cache of ranked results, and typing-through (the user
typed the start of the suggestion on screen, so the rest of it is still the answer)."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, replace

from completion import CompletionRequest
from ranking import ReviewFlag


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    """One suggestion as shown: ``text`` is inserted at the cursor (nothing after it is replaced).

    ``full_text`` starting at ``start`` is the whole suggestion as first generated; it differs
    from ``text`` only while typing through (the user has typed its head). The accept command
    reports the whole suggestion, so its review diagnostic covers all of it.
    """

    id: str
    text: str
    full_text: str
    start: int  # str offset where full_text begins
    confidence: float
    mean_entropy: float
    max_entropy: float
    mean_logprob: float
    syntax_ok: bool
    agreement: float
    flags: tuple[ReviewFlag, ...]

    @property
    def review_required(self) -> bool:
        return any(f.review_required for f in self.flags)


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """The suggestions for one request, where they go, and how they were obtained."""

    uri: str
    version: int
    offset: int  # the cursor (str offset) the items' ``text`` is inserted at
    items: tuple[Item, ...]
    source: str  # "model", "cache" or "typing"
    abstained: bool = False
    best_confidence: float = 0.0  # of every candidate, shown or not (0.0: none)
    abstain_below: float = 0.0  # the threshold the request ran with
    reason: str = ""  # why nothing was suggested, when it was not the confidence ("language")


def request_key(request: CompletionRequest, rank_key: object) -> str:
    """A key for everything that decides a result: text, cursor, language, policy, context."""
    h = hashlib.blake2b(digest_size=16)
    h.update(request.text.encode("utf-8", "surrogatepass"))
    meta = (request.offset, request.language_id, request.path, request.policy, rank_key)
    h.update(repr(meta).encode())
    for snip in request.context_snippets:
        h.update(b"\0" + snip.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


class LRUCache:
    """Ranked answers by request key; the least recently used entry goes first, when there are
    more than ``capacity`` entries or they hold more than ``max_bytes`` (estimated)."""

    def __init__(self, capacity: int = 256, max_bytes: int = 4_000_000) -> None:
        self.capacity = capacity
        self.max_bytes = max_bytes
        self.bytes = 0
        self._data: OrderedDict[str, tuple[Answer, int]] = OrderedDict()

    def get(self, key: str) -> Answer | None:
        found = self._data.get(key)
        if found is None:
            return None
        self._data.move_to_end(key)
        return found[0]

    def put(self, key: str, answer: Answer) -> None:
        if self.capacity <= 0:
            return
        self._drop(key)
        size = answer_bytes(answer)
        self._data[key] = (answer, size)
        self.bytes += size
        while len(self._data) > self.capacity or (self.bytes > self.max_bytes and self._data):
            self._drop(next(iter(self._data)))

    def _drop(self, key: str) -> None:
        gone = self._data.pop(key, None)
        if gone is not None:
            self.bytes -= gone[1]

    def forget(self, uri: str) -> None:
        """Drops the answers for one document (it was closed)."""
        for key in [k for k, (a, _) in self._data.items() if a.uri == uri]:
            self._drop(key)

    def clear(self) -> None:
        self._data.clear()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._data)


def answer_bytes(answer: Answer) -> int:
    """An estimate of what an answer holds: its texts (4 bytes a character at worst) and the
    fixed cost of its objects."""
    chars = len(answer.uri) + sum(len(i.text) + len(i.full_text) + len(i.id) for i in answer.items)
    return 400 + 4 * chars + 600 * len(answer.items)


@dataclass(frozen=True, slots=True)
class _Shown:
    text: str  # the document when the suggestions were shown
    offset: int
    items: tuple[Item, ...]


class TypingThrough:
    """Remembers the last suggestions shown per document and answers while the user types them."""

    def __init__(self) -> None:
        self._shown: dict[str, _Shown] = {}

    def remember(self, uri: str, text: str, offset: int, items: tuple[Item, ...]) -> None:
        if items:
            self._shown[uri] = _Shown(text, offset, items)
        else:
            self._shown.pop(uri, None)

    def forget(self, uri: str) -> None:
        self._shown.pop(uri, None)

    def answer(self, uri: str, text: str, offset: int) -> tuple[Item, ...]:
        """The rest of each shown suggestion the user has typed the start of; () if none.

        Holds only when the text before the old cursor and the text after the new one are
        unchanged, i.e. the only edit was typing at the cursor.
        """
        shown = self._shown.get(uri)
        if shown is None or offset <= shown.offset:
            return ()
        typed_len = offset - shown.offset
        if len(text) != len(shown.text) + typed_len:
            return ()
        if text[offset:] != shown.text[shown.offset :]:
            return ()
        if text[: shown.offset] != shown.text[: shown.offset]:
            return ()
        typed = text[shown.offset : offset]
        return tuple(
            replace(item, text=item.text[typed_len:])
            for item in shown.items
            if len(item.text) > typed_len and item.text.startswith(typed)
        )
