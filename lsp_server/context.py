"""What a request's prompt carries besides its own document: snippets of other open files.

The suggester asks ``ContextSource.snippets`` for each request that reaches the model; this is
the one place that decides which other text goes into the prompt (grounding), so a new source
of context plugs in here without touching the request path.
"""

from __future__ import annotations

import os

from completion.workspace.neighbours import Neighbour, NeighbourIndex
from grammars import language_for

from .config import ContextOptions
from .documents import Document, DocumentStore


def language_of(doc: Document) -> str | None:
    """The grammar name of ``doc`` (from its language id or file name), None when unknown."""
    spec = language_for(doc.language_id, doc.path)
    return spec.name if spec else None


class ContextSource:
    """Neighbouring-tabs grounding over the open documents, with its per-file index."""

    def __init__(self, docs: DocumentStore) -> None:
        self.docs = docs
        self.neighbours = NeighbourIndex()

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
