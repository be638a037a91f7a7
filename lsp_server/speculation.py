"""Starting the automatic request before the editor asks: an edit that looks like typing, in a
document that gets automatic requests, starts the request the editor will send when its debounce
(VS Code 50 ms, Neovim 200) ends, for the same text, cursor and trigger, once
``speculateAfterMs`` pass with no other edit. The request, when it comes, takes that generation
over instead of starting its own, so the suggestion is ready, or nearly, when asked; a request
that comes sooner starts it at once.

The wait bounds the work nobody asks for: a user typing faster than the editor asks stops each
started generation at the next keystroke. A started request that the next keystroke stopped
within ``BURST_S`` doubles the document's wait (up to a second), so a burst of fast typing
wastes one or two; one taken over halves it again, down to ``speculateAfterMs``.
Nothing is shown or logged as shown before a request takes the answer over. A later edit stops
the generation like any other (its answer would be stale), and so does a request for something
else. Off with the ``speculate`` option; only with an engine on this machine (for a remote
engine each keystroke would be a request to the model server). Counted in the stats:
``speculations`` started, ``speculationsUsed`` taken over by a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from lsprotocol import types
from pygls.exceptions import JsonRpcContentModified

from completion import CompletionError

from .cache import Answer
from .documents import Document
from .generation import Prepared, Trigger
from .suggestions import Suggester
from .warming import keeps_prefixes

log = logging.getLogger(__name__)

MAX_WAIT_S = 1.0  # the longest wait doubling reaches
# Keystrokes closer than this are typing faster than an editor asks (debounces are 50-200 ms).
BURST_S = 0.3


@dataclass(slots=True)
class _Pending:
    """A started request: the document version and cursor offset it is for; setting ``now``
    ends its wait."""

    version: int
    at: int
    task: asyncio.Task[Prepared | None] | None = None
    now: asyncio.Event = field(default_factory=asyncio.Event)
    started: bool = False  # the wait is over: the model was asked
    edited: float = field(default_factory=time.monotonic)  # when the edit came


class Speculator:
    """Starts automatic requests at the keystroke, and hands them to the request that follows."""

    def __init__(self, suggester: Suggester) -> None:
        self.suggester = suggester
        self._pending: dict[str, _Pending] = {}  # uri -> the request started for it
        self._waits: dict[str, float] = {}  # uri -> seconds of no typing before a start

    def start(self, uri: str, at: int) -> None:
        """Starts the automatic request for a cursor at ``at`` (an offset in the document's
        current text), unless off or no local model is ready. Typing through a shown
        suggestion starts nothing: that request needs no model."""
        suggester = self.suggester
        doc = suggester.docs.get(uri)
        engine = suggester.models.ready(suggester.options.model)
        self.forget(uri)
        if not suggester.options.speculate or doc is None or engine is None:
            return
        if not keeps_prefixes(engine):
            return  # a remote engine: a request per keystroke to the model server
        if suggester.typing.answer(uri, doc.text, at):
            return
        pending = _Pending(doc.version, at)
        pending.task = asyncio.ensure_future(self._after_a_pause(doc, pending))
        pending.task.add_done_callback(_retrieve)
        self._pending[uri] = pending

    async def _after_a_pause(self, doc: Document, pending: _Pending) -> Prepared | None:
        """The request, once ``speculateAfterMs`` pass (or a request asks for it sooner)."""
        with contextlib.suppress(asyncio.TimeoutError):  # TimeoutError from 3.11
            await asyncio.wait_for(pending.now.wait(), self._wait(doc.uri))
        if self.suggester.docs.get(doc.uri) is not doc:
            return None  # edited meanwhile: that edit starts its own
        pending.started = True
        self.suggester.stats.speculations += 1
        return await self.suggester.prepare(doc, pending.at)

    def _least(self) -> float:
        """The shortest wait, in seconds: the ``speculateAfterMs`` setting."""
        return self.suggester.options.speculate_after_ms / 1000

    def _wait(self, uri: str) -> float:
        return self._waits.get(uri, self._least())

    def forget(self, uri: str) -> None:
        """Drops the document's started request: one still waiting never starts (a running
        generation was stopped by the edit or the request that came since). One that had
        started, stopped by a keystroke soon after its own, was computed for nothing because
        the user types faster than the editor asks: the document's next wait is twice as long."""
        pending = self._pending.pop(uri, None)
        if pending is not None and pending.task is not None:
            pending.task.cancel()
            if pending.started and time.monotonic() - pending.edited < BURST_S:
                self._waits[uri] = min(2 * max(self._wait(uri), 0.01), MAX_WAIT_S)

    def closed(self, uri: str) -> None:
        self.forget(uri)
        self._waits.pop(uri, None)

    def stop_all(self) -> None:
        """Drops every started request (shutdown)."""
        for uri in list(self._pending):
            self.forget(uri)

    async def answer(
        self, uri: str, position: types.Position, trigger: Trigger, *, typing_through: bool
    ) -> Answer | None:
        """``Suggester.answer``, taking over the request started for this version and cursor
        when there is one (an automatic request only); the usual path when it failed."""
        asked = time.perf_counter()
        pending = self._pending.pop(uri, None)
        doc = self.suggester.docs.get(uri)
        if (
            pending is not None
            and doc is not None
            and trigger is Trigger.AUTOMATIC
            and doc.version == pending.version
            and doc.offset_at(position) == pending.at
        ):
            assert pending.task is not None
            pending.now.set()
            self._waits[uri] = max(self._least(), self._wait(uri) / 2)
            try:
                prepared = await asyncio.shield(pending.task)
            except asyncio.CancelledError:
                if not pending.task.done():  # this request was cancelled: stop its generation
                    pending.task.cancel()
                    raise
                prepared = None  # the started one was stopped: ask again
            except (JsonRpcContentModified, CompletionError, RuntimeError, OSError) as exc:
                log.debug("the request started for %s failed: %s", uri, exc)
                prepared = None
            if prepared is not None and self.suggester.docs.get(uri) is doc:
                return self.suggester.take_over(doc, pending.at, prepared, asked)
        elif pending is not None and pending.task is not None:
            pending.task.cancel()  # started for another request: never asked for
        return await self.suggester.answer(
            uri, position, trigger, typing_through=typing_through, asked=asked
        )


def _retrieve(task: asyncio.Task[Prepared | None]) -> None:
    """A started request nobody took over may have failed: that is no error."""
    if not task.cancelled():
        task.exception()
