"""Computing the prompt's prefix while the editor waits to ask: after an edit that moves the
cursor to another line, the lines above it are forwarded through the model at once, so the
request that follows the editor's debounce (75-300 ms) pays only for its own line.

A request on a line far from the last one cannot reuse the cached prefix of the lines above
the previous cursor; without this it computes its whole window first (the typing replay's
"after a pause"). Only documents that have had automatic requests are warmed (a client that
never asks by itself gets nothing computed for it), only for edits that look like typing (one
change, at most one line break), and only with an engine that keeps prefixes (the local
CTranslate2 one).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from completion import CompletionError, CompletionRequest, Engine
from completion.pipeline import build_prompt, check_language
from grammars import language_for

from .documents import Edit
from .generation import Trigger
from .suggestions import Suggester

log = logging.getLogger(__name__)

# A change that inserts more than this is a paste or a refactoring, not typing.
MAX_TYPED_CHARS = 200


def keeps_prefixes(engine: Engine) -> bool:
    """The engine keeps prompt prefixes computed between calls (the local CTranslate2 one);
    for a remote one, work ahead of a request would be a request to the model server."""
    return hasattr(engine, "warm_prefix")


class PrefixWarmer:
    """Tracks the line of each document's last automatic request, and warms a new one."""

    def __init__(self, suggester: Suggester) -> None:
        self.suggester = suggester
        self._lines: dict[str, int] = {}  # uri -> line of the last automatic request or warm

    def asked(self, uri: str, line: int) -> None:
        """An automatic request came for ``line``: its prefix is being computed anyway."""
        self._lines[uri] = line

    def forget(self, uri: str) -> None:
        self._lines.pop(uri, None)

    def typed_at(self, uri: str, edits: Sequence[Edit]) -> int | None:
        """Where the cursor is after ``edits`` (a str offset), when they look like typing in a
        document that gets automatic requests; else None."""
        if uri not in self._lines or len(edits) != 1:
            return None
        edit = edits[0]
        at = edit.start + edit.inserted
        typed = edit.doc.text[edit.start : at]
        if edit.inserted > MAX_TYPED_CHARS or typed.count("\n") > 1:
            return None
        return at

    def moved(self, uri: str, at: int) -> bool:
        """The cursor at ``at`` (after typing) is on another line than the last request's."""
        doc = self.suggester.docs.get(uri)
        if doc is None or uri not in self._lines:
            return False
        line = doc.position_at(at).line
        if line == self._lines[uri]:
            return False
        self._lines[uri] = line
        return True

    async def warm(self, uri: str, at: int) -> None:
        """Computes the prefix of the automatic request a cursor at ``at`` would make (counted
        in ``prefix_warms`` when the model computed something). Never raises: warming is only
        ever a head start."""
        suggester = self.suggester
        engine = suggester.models.ready(suggester.options.model)
        doc = suggester.docs.get(uri)
        if engine is None or doc is None or not keeps_prefixes(engine):
            return
        try:
            request, _ = await suggester.request_for(doc, at, Trigger.AUTOMATIC)
            if suggester.docs.get(uri) is not doc:
                return  # edited again meanwhile: that edit warms, or the request computes
            done = await suggester.models.run(_warm, engine, request)
        except (CompletionError, RuntimeError, OSError) as exc:
            log.debug("warming %s failed: %s", uri, exc)
            return
        suggester.stats.prefix_warms += done


def _warm(engine: Engine, request: CompletionRequest) -> bool:
    """On the model thread: the request's prompt, and its prefix computed unless kept."""
    spec = language_for(request.language_id, request.path)
    check_language(engine, spec.name if spec else None, request)
    if not request.text.strip():
        return False
    prompt = build_prompt(engine, request, spec.comment if spec else "#")
    return bool(engine.warm_prefix(prompt))  # type: ignore[attr-defined]
