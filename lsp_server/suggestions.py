"""The request path shared by inline and popup completion: cheap answers first, then one
cancellable model call off the event loop, then ranking, caching and telemetry."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum
from threading import Event

from lsprotocol import types
from pygls.exceptions import JsonRpcContentModified

from completion import CompletionRequest, Engine, GenerationCancelled, UnsupportedLanguageError
from completion.errors import RemoteError
from grammars import line_window
from ranking import ConfidenceModel, RankOptions, RuleSet, Suggestion
from ranking.grounded import Grounded

from .cache import Answer, Item, LRUCache, TypingThrough, request_key
from .config import Options
from .context import ContextSource
from .documents import Document, DocumentStore
from .model_host import ModelHost
from .telemetry import Telemetry

log = logging.getLogger(__name__)


class Trigger(str, Enum):
    """Why the client asked: the user typed (automatic) or explicitly asked (invoked)."""

    AUTOMATIC = "automatic"
    INVOKED = "invoked"


@dataclass(slots=True)
class Stats:
    """Counters the `entropyComplete/stats` request reports (tests and troubleshooting)."""

    requests: int = 0
    model_calls: int = 0  # generations that reached the model
    cache_hits: int = 0
    typing_through: int = 0
    grounded: int = 0  # requests whose prompt carried snippets of other open files
    workspace_grounded: int = 0  # answers from a prompt with workspace definitions (#15)
    stopped: int = 0  # generations the step callback stopped (cancelled or superseded)
    gave_up: int = 0  # automatic generations stopped once no candidate could be shown
    prefix_warms: int = 0  # prompt prefixes computed after an edit, before the request came
    superseded: int = 0
    stale: int = 0
    accepts: int = 0  # entropyComplete.accept commands received
    not_ready: int = 0  # answered empty at once: the model was still loading (or failed to)


@dataclass(slots=True)
class _Generation:
    """An in-flight model call: setting ``event`` stops CTranslate2 at its next step."""

    event: threading.Event
    reason: str = ""  # why it was stopped: superseded, stale or cancelled

    def stop(self, reason: str) -> None:
        if not self.event.is_set():
            self.reason = reason
            self.event.set()


class Suggester:
    """Answers completion requests for open documents."""

    def __init__(self, docs: DocumentStore, models: ModelHost, telemetry: Telemetry) -> None:
        self.docs = docs
        self.models = models
        self.telemetry = telemetry
        self.options = Options()
        self.rules = RuleSet.default()
        self.confidence: ConfidenceModel | None = None  # None: the model's own
        self.cache = LRUCache(self.options.cache_size)
        self.typing = TypingThrough()
        self.context = ContextSource(docs)
        self.stats = Stats()
        self._inflight: dict[str, _Generation] = {}
        self._latest: dict[str, int] = {}  # per document: the number of its newest request
        self._warned_languages: set[str] = set()
        self._remote_warned = ""  # the last model-server failure said to the user
        # One user-facing message (the server sets its showMessage here).
        self.warn: Callable[[str], None] = log.warning

    def configure(
        self, options: Options, rules: RuleSet, confidence: ConfidenceModel | None
    ) -> None:
        self.options, self.rules, self.confidence = options, rules, confidence
        self.cache = LRUCache(options.cache_size)

    def stop(self, uri: str, reason: str) -> None:
        """Stops the document's in-flight generation, if any (its answer would be useless)."""
        gen = self._inflight.get(uri)
        if gen is not None:
            gen.stop(reason)

    def stop_all(self) -> None:
        """Stops every in-flight generation (shutdown: exit must not wait for the model)."""
        for gen in list(self._inflight.values()):
            gen.stop("cancelled")

    def closed(self, uri: str) -> None:
        """Frees what the document held: its generation, typing state and cached material."""
        self.stop(uri, "stale")
        self.typing.forget(uri)
        self.context.forget(uri)
        self.cache.forget(uri)
        self._latest.pop(uri, None)

    def window_chars(self) -> int:
        """Characters each side of the cursor a request sees: as many as the prompt builder
        could use (8 per token of the model's context), so a huge file gives the same prompt
        as its window and nothing downstream touches the whole text."""
        engine = self.models.engine
        return 8 * (engine.info.context_tokens if engine is not None else 8192) + 1024

    async def answer(
        self, uri: str, position: types.Position, trigger: Trigger, *, typing_through: bool
    ) -> Answer | None:
        """The ranked suggestions at ``position``; None when there is no document or model.

        Raises:
            asyncio.CancelledError: cancelled by the client or superseded by a newer request.
            JsonRpcContentModified: the document changed while the model was generating.
        """
        self.stats.requests += 1
        doc = self.docs.get(uri)
        if doc is None:
            return None
        at = doc.offset_at(position)
        self.stop(uri, "superseded")
        seq = self._latest[uri] = self._latest.get(uri, 0) + 1
        if typing_through and (items := self.typing.answer(uri, doc.text, at)):
            self.stats.typing_through += 1
            return Answer(uri=uri, version=doc.version, offset=at, items=items, source="typing")
        request, lo = await self.request_for(doc, at, trigger)
        if self._latest.get(uri) != seq:  # a newer request came while the snippets were made
            self.stats.superseded += 1
            raise asyncio.CancelledError(f"{uri}: superseded")
        opts = self.options.automatic if trigger is Trigger.AUTOMATIC else self.options.invoked
        self.stats.grounded += bool(request.context_snippets)
        rank = opts.rank_options(self.options.review.entropy_threshold)
        key = request_key(request, (rank, self.confidence, lo))
        if (cached := self.cache.get(key)) is not None:
            self.stats.cache_hits += 1
            self.typing.remember(uri, doc.text, at, cached.items)
            return replace(cached, uri=uri, version=doc.version, source="cache")
        answer = await self._generate(doc, request, rank, trigger, lo)
        if answer is not None:
            self.cache.put(key, answer)
            self.typing.remember(uri, doc.text, at, answer.items)
        return answer

    async def request_for(
        self, doc: Document, at: int, trigger: Trigger
    ) -> tuple[CompletionRequest, int]:
        """What the model is asked for a cursor at ``at``, and where its window starts in
        ``doc``: the request sees a bounded window of the document, never all of it."""
        lo, hi = line_window(doc.text, at, self.window_chars())
        text, offset = doc.text[lo:hi], at - lo
        snippets = await asyncio.to_thread(
            self.context.snippets, doc, text, offset, self.options.context
        )
        opts = self.options.automatic if trigger is Trigger.AUTOMATIC else self.options.invoked
        return CompletionRequest(
            text, offset, doc.language_id, doc.path, opts.policy(), snippets,
            any_language=not self.options.model.language_guard,
        ), lo  # fmt: skip

    async def _generate(
        self,
        doc: Document,
        request: CompletionRequest,
        rank: RankOptions,
        trigger: Trigger,
        base: int = 0,
    ) -> Answer | None:
        """The model's answer; ``base`` is where the request's window starts in ``doc``."""
        engine = self.models.ready(self.options.model)
        if engine is None:
            self.stats.not_ready += 1
            return None
        gen = _Generation(threading.Event())
        self._inflight[doc.uri] = gen
        t0 = time.perf_counter()
        try:
            grounding: Grounded | None = await self.models.run(
                self._run_model, engine, request, rank, gen.event, trigger is Trigger.INVOKED
            )
        except UnsupportedLanguageError as exc:
            # Said once per language; every request in it is answered empty, not with an error.
            if doc.language_id not in self._warned_languages:
                self._warned_languages.add(doc.language_id)
                self.warn(str(exc))
            at = base + request.offset
            return Answer(
                uri=doc.uri,
                version=doc.version,
                offset=at,
                items=(),
                source="model",
                abstained=True,
                reason="language",
            )
        except RemoteError as exc:
            # The model server failed: say so once per distinct reason, answer empty, stay up.
            if str(exc) != self._remote_warned:
                self._remote_warned = str(exc)
                self.warn(str(exc))
            return None  # not cached: the next request asks the server again
        except asyncio.CancelledError:
            gen.stop("cancelled")  # $/cancelRequest: free the model thread too
            raise
        except GenerationCancelled:
            grounding = None
        finally:
            if self._inflight.get(doc.uri) is gen:
                del self._inflight[doc.uri]
        current = self.docs.get(doc.uri)
        if gen.reason == "stale" or current is None or current.version != doc.version:
            self.stats.stale += 1
            raise JsonRpcContentModified(f"{doc.uri} changed while generating")
        if gen.reason or grounding is None:
            self.stats.superseded += gen.reason == "superseded"
            raise asyncio.CancelledError(f"{doc.uri}: generation {gen.reason or 'stopped'}")
        outcome = grounding.outcome
        self.stats.workspace_grounded += grounding.grounded
        self.stats.gave_up += bool(outcome.result.gave_up_at)
        total = time.perf_counter() - t0
        request_id = uuid.uuid4().hex[:12]
        items = tuple(
            self._item(request_id, i, s, base + request.offset)
            for i, s in enumerate(outcome.ranking.suggestions)
        )
        self.telemetry.shown(
            request_id,
            items,
            trigger=trigger.value,
            language=outcome.result.language,
            timings=outcome.result.timings,
            total=total,
            n_samples=outcome.result.n_samples,
            grounding=self.context.telemetry(grounding),
            gave_up_at=outcome.result.gave_up_at,
        )
        log.debug("%s: %d suggestions in %.0f ms", doc.uri, len(items), total * 1000)
        ranking = outcome.ranking
        return Answer(
            uri=doc.uri,
            version=doc.version,
            offset=base + request.offset,
            items=items,
            source="model",
            abstained=ranking.abstained,
            best_confidence=ranking.best_confidence,
            abstain_below=rank.abstain_below,
        )

    def _run_model(
        self, engine: Engine, req: CompletionRequest, rank: RankOptions, cancel: Event, ask: bool
    ) -> Grounded:
        """Runs on the model thread; the context source grounds it (always when ``ask``: the
        user invoked it)."""
        if cancel.is_set():  # superseded while queued: never start
            raise GenerationCancelled("cancelled before start")
        self.stats.model_calls += 1
        try:
            return self.context.suggest(
                engine, req, self.options.grounding, invoked=ask,
                rank=rank, model=self.confidence, rules=self.rules, cancel=cancel,
            )  # fmt: skip
        except GenerationCancelled:
            self.stats.stopped += 1
            raise

    @staticmethod
    def _item(request_id: str, rank: int, s: Suggestion, offset: int) -> Item:
        f = s.features
        return Item(
            id=f"{request_id}-{rank}", text=s.text, full_text=s.text, start=offset,
            confidence=s.confidence, mean_entropy=f.mean_entropy, max_entropy=f.max_entropy,
            mean_logprob=f.mean_logprob, syntax_ok=f.syntax_ok, agreement=f.agreement,
            flags=s.flags,
        )  # fmt: skip
