"""The records of the request path: why the client asked, the counters it keeps, an in-flight
model call, and a model answer not yet handed to anyone."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ranking import Suggestion

from .cache import Answer, Item


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
    speculations: int = 0  # automatic requests started at the keystroke (speculation.py)
    speculations_used: int = 0  # ... that the request which followed took over
    superseded: int = 0
    stale: int = 0
    accepts: int = 0  # entropyComplete.accept commands received
    not_ready: int = 0  # answered empty at once: the model was still loading (or failed to)


@dataclass(slots=True)
class Generation:
    """An in-flight model call: setting ``event`` stops CTranslate2 at its next step."""

    event: threading.Event
    reason: str = ""  # why it was stopped: superseded, stale or cancelled

    def stop(self, reason: str) -> None:
        if not self.event.is_set():
            self.reason = reason
            self.event.set()


@dataclass(frozen=True, slots=True, kw_only=True)
class Prepared:
    """A model's answer before it is given: ``publish`` logs it as shown (telemetry), which
    waits for a request to take it (an answer computed ahead may never be asked for); it takes
    ``ahead=True`` for an answer started before the request came."""

    key: Any  # the answer cache's key (cache.request_key)
    answer: Answer
    publish: Callable[..., None]
    grounded: bool  # the prompt carried snippets of other open files


def shown_item(request_id: str, rank: int, s: Suggestion, offset: int) -> Item:
    """The ``rank``-th suggestion of a request as the server keeps it (cache, telemetry)."""
    f = s.features
    return Item(
        id=f"{request_id}-{rank}", text=s.text, full_text=s.text, start=offset,
        confidence=s.confidence, mean_entropy=f.mean_entropy, max_entropy=f.max_entropy,
        mean_logprob=f.mean_logprob, syntax_ok=f.syntax_ok, agreement=f.agreement,
        flags=s.flags,
    )  # fmt: skip
