"""What a request's prompt carries besides its own document: snippets of other open files, and
definitions from the workspace index when the model is unsure or the user asked (#15).

The suggester asks ``ContextSource.snippets`` for each request that reaches the model, and runs
the model through ``ContextSource.suggest``; this is the one place that decides which other
text goes into the prompt (grounding), so a new source of context plugs in here without
touching the request path.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from completion import CompletionRequest, Engine
from completion.fim import ends_with_prefix
from completion.workspace.neighbours import Neighbour, NeighbourIndex
from grammars import language_for
from ranking import ConfidenceModel, RankOptions, RuleSet
from ranking.grounded import Grounded, suggest_grounded

from .config import ContextOptions, GroundingOptions
from .documents import Document, DocumentStore
from .workspace_index import IndexHost


def language_of(doc: Document) -> str | None:
    """The grammar name of ``doc`` (from its language id or file name), None when unknown."""
    spec = language_for(doc.language_id, doc.path)
    return spec.name if spec else None


class ContextSource:
    """Neighbouring-tabs grounding over the open documents, with its per-file index."""

    def __init__(self, docs: DocumentStore) -> None:
        self.docs = docs
        self.neighbours = NeighbourIndex()
        self.workspace = IndexHost()

    def forget(self, uri: str) -> None:
        """Frees what was indexed for a closed document."""
        self.neighbours.forget(uri)

    def snippets(
        self, doc: Document, text: str, offset: int, options: ContextOptions
    ) -> tuple[str, ...]:
        """Similar windows of other open files in the same language, formatted for the prompt
        (``text``, ``offset``: the request's window of ``doc``). Runs off the event loop."""
        lang = language_of(doc)
        if not options.neighbouring_tabs or lang is None:
            return ()
        others = [
            Neighbour(d.uri, d.version, os.path.basename(d.path or d.uri), d.text)
            for d in self.docs
            if d.uri != doc.uri and language_of(d) == lang
        ]
        found = self.neighbours.snippets(
            text,
            offset,
            others,
            window_lines=options.window_lines,
            max_snippets=options.max_snippets,
            min_similarity=options.min_similarity,
            max_chars=options.max_chars,
        )
        return tuple(s.as_context() for s in found)

    def suggest(
        self,
        engine: Engine,
        request: CompletionRequest,
        options: GroundingOptions,
        *,
        invoked: bool,
        rank: RankOptions,
        model: ConfidenceModel | None,
        rules: RuleSet,
        cancel: threading.Event,
    ) -> Grounded:
        """The ranked answer, grounded in the workspace index when it should be: always for an
        invoked request, for an automatic one when the model is unsure of its first answer
        (``grounding.automatic``). Runs on the model thread."""
        spec = language_for(request.language_id, request.path)
        inline = ends_with_prefix(engine.prompt_template)  # then hints go by the cursor

        def ground(req: CompletionRequest) -> CompletionRequest | None:
            found = self.workspace.retrieve(req, spec.name if spec else None, options.max_chars)
            return found.apply(req, inline=inline) if found is not None else None

        when = "always" if invoked else options.automatic
        return suggest_grounded(
            engine, request, ground, when=when if options.workspace_index else "never",
            rule=options.rule(), options=rank, model=model, rules=rules, cancel=cancel,
        )  # fmt: skip

    @staticmethod
    def telemetry(grounding: Grounded | None) -> dict[str, Any] | None:
        """What a telemetry event records of grounding: whether retrieval ran, whether the
        answer came from a grounded prompt, and whether that changed the top suggestion."""
        if grounding is None:
            return None
        return {
            "retrieved": grounding.asked,
            "used": grounding.grounded,
            "changed": grounding.changed,
            "retrieve_ms": round(1000 * grounding.retrieve_seconds, 2),
        }
