"""The request path shared by inline and popup completion: cheap answers first, then one
cancellable model call off the event loop, then ranking, caching and telemetry."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from threading import Event
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcContentModified

from completion import CompletionRequest, Engine, GenerationCancelled, UnsupportedLanguageError
from completion.errors import RemoteError
from grammars import line_window
from ranking import ConfidenceModel, RankOptions, RuleSet
from ranking.grounded import Grounded

from .cache import Answer, LRUCache, TypingThrough, request_key
from .config import Options
from .context import ContextSource
from .documents import Document, DocumentStore
from .generation import Generation, Prepared, Stats, Trigger, shown_item
from .model_host import ModelHost
from .telemetry import Telemetry

log = logging.getLogger(__name__)


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
        self._inflight: dict[str, Generation] = {}
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
        """Characters each side of the cursor a request sees: what the prompt builder could use
        (8 per token of context), so nothing downstream touches a huge file's whole text."""
        engine = self.models.engine
        return 8 * (engine.info.context_tokens if engine is not None else 8192) + 1024

    async def answer(
        self,
        uri: str,
        position: types.Position,
        trigger: Trigger,
        *,
        typing_through: bool,
        asked: float | None = None,
    ) -> Answer | None:
        """The ranked suggestions at ``position`` asked for at ``asked`` (``perf_counter``,
        default now); None when there is no document or model.

        Raises:
            asyncio.CancelledError: cancelled by the client or superseded by a newer request.
            JsonRpcContentModified: the document changed while the model was generating.
        """
        asked = time.perf_counter() if asked is None else asked
        self.stats.requests += 1
        doc = self.docs.get(uri)
        if doc is None:
            return None
        at = doc.offset_at(position)
        self.stop(uri, "superseded")
        seq = self._next(uri)
        if typing_through and (items := self.typing.answer(uri, doc.text, at)):
            self.stats.typing_through += 1
            return Answer(uri=uri, version=doc.version, offset=at, items=items, source="typing")
        request, lo = await self.request_for(doc, at, trigger)
        if self._latest.get(uri) != seq:  # a newer request came while the snippets were made
            self.stats.superseded += 1
            raise asyncio.CancelledError(f"{uri}: superseded")
        self.stats.grounded += bool(request.context_snippets)
        key = self._key(request, trigger, lo)
        if (cached := self.cache.get(key)) is not None:
            self.stats.cache_hits += 1
            self.typing.remember(uri, doc.text, at, cached.items)
            return replace(cached, uri=uri, version=doc.version, source="cache")
        prepared = await self._generate(doc, request, key, trigger, lo)
        return None if prepared is None else self._give(doc, at, prepared, asked)

    async def prepare(self, doc: Document, at: int) -> Prepared | None:
        """The automatic request a cursor at ``at`` will make, computed before it is asked
        (speculation.py); None when the cache already holds its answer or there is no model.
        Nothing counts as a request or is logged as shown until ``take_over``.

        Raises:
            asyncio.CancelledError: a request for something else stopped it.
            JsonRpcContentModified: the document changed while the model was generating.
        """
        request, lo = await self.request_for(doc, at, Trigger.AUTOMATIC)
        key = self._key(request, Trigger.AUTOMATIC, lo)
        if self.docs.get(doc.uri) is not doc or self.cache.get(key) is not None:
            return None  # edited meanwhile, or the request will be answered from the cache
        return await self._generate(doc, request, key, Trigger.AUTOMATIC, lo, ahead=True)

    def take_over(self, doc: Document, at: int, prepared: Prepared, asked: float) -> Answer:
        """The request made at ``asked`` for ``doc``'s version at ``at`` takes ``prepared``."""
        self.stats.requests += 1
        self.stats.speculations_used += 1
        self.stats.grounded += prepared.grounded
        self._next(doc.uri)
        return self._give(doc, at, prepared, asked, ahead=True)

    def _give(
        self, doc: Document, at: int, prepared: Prepared, asked: float, *, ahead: bool = False
    ) -> Answer:
        """Hands a model answer to the request made at ``asked``: logged as shown (with the
        time the editor waited), cached, remembered for typing through."""
        prepared.publish(ahead=ahead, waited=time.perf_counter() - asked)
        self.cache.put(prepared.key, prepared.answer)
        self.typing.remember(doc.uri, doc.text, at, prepared.answer.items)
        return prepared.answer

    def _next(self, uri: str) -> int:
        """A new request for ``uri``: the ones before it are superseded."""
        seq = self._latest[uri] = self._latest.get(uri, 0) + 1
        return seq

    def _rank(self, trigger: Trigger) -> RankOptions:
        opts = self.options.automatic if trigger is Trigger.AUTOMATIC else self.options.invoked
        return opts.rank_options(self.options.review.entropy_threshold)

    def _key(self, request: CompletionRequest, trigger: Trigger, lo: int) -> Any:
        return request_key(request, (self._rank(trigger), self.confidence, lo))

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
        key: Any,
        trigger: Trigger,
        base: int = 0,
        *,
        ahead: bool = False,
    ) -> Prepared | None:
        """The model's answer; ``base`` is where the request's window starts in ``doc``;
        ``ahead``: computed before the request came (stopping it is no stale or superseded
        request)."""
        engine = self.models.ready(self.options.model)
        if engine is None:
            self.stats.not_ready += 1
            return None
        rank = self._rank(trigger)
        grounded = bool(request.context_snippets)
        gen = Generation(Event())
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
            answer = Answer(
                uri=doc.uri, version=doc.version, offset=base + request.offset, items=(),
                source="model", abstained=True, reason="language",
            )  # fmt: skip
            return Prepared(key=key, answer=answer, publish=_nothing, grounded=grounded)
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
            self.stats.stale += not ahead
            raise JsonRpcContentModified(f"{doc.uri} changed while generating")
        if gen.reason or grounding is None:
            self.stats.superseded += gen.reason == "superseded" and not ahead
            raise asyncio.CancelledError(f"{doc.uri}: generation {gen.reason or 'stopped'}")
        outcome = grounding.outcome
        self.stats.workspace_grounded += grounding.grounded
        self.stats.gave_up += bool(outcome.result.gave_up_at)
        total = time.perf_counter() - t0
        request_id = uuid.uuid4().hex[:12]
        items = tuple(
            shown_item(request_id, i, s, base + request.offset)
            for i, s in enumerate(outcome.ranking.suggestions)
        )
        publish = partial(
            self.telemetry.shown,
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
        answer = Answer(
            uri=doc.uri,
            version=doc.version,
            offset=base + request.offset,
            items=items,
            source="model",
            abstained=ranking.abstained,
            best_confidence=ranking.best_confidence,
            abstain_below=rank.abstain_below,
        )
        return Prepared(key=key, answer=answer, publish=publish, grounded=grounded)

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


def _nothing(**_: object) -> None:
    """Nothing to log: an answer no model produced (a language the model does not know)."""
