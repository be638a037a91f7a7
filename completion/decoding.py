"""The per-step callback of a CTranslate2 generation: stop rules, cancellation, first-token time.

CTranslate2 calls it for every generated token of every hypothesis and stops the whole call
when it returns True. That is how a cancelled or superseded request frees the CPU at once, and
how line mode ends as soon as every candidate has finished its line.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


def step_callback(
    n_hyp: int,
    stop_ids: frozenset[int],
    newline_ids: frozenset[int],
    *,
    started_all: bool,
    stop_at_newline: bool,
    cancel: threading.Event | None,
    first: list[float],
) -> Callable[[Any], bool]:
    """A callback for ``generate_batch(callback=...)``.

    It must not reference the engine: CTranslate2's worker thread may drop it last, and if that
    freed the engine the generator's thread pool would join itself ("Resource deadlock
    avoided", process abort) -- seen when an engine was discarded.

    Args:
        n_hyp: hypotheses in the call.
        stop_ids: tokens that end a hypothesis.
        newline_ids: tokens that contain a newline.
        started_all: every hypothesis already has text on its line (token healing re-typed
            some), so its next newline ends it.
        stop_at_newline: line mode: a newline after text ends the hypothesis.
        cancel: when set, the call stops at the next step.
        first: receives the time of the first step (the prompt's prefill has ended).
    """
    done: set[int] = set()
    started: set[int] = set(range(n_hyp)) if started_all else set()

    def on_step(step) -> bool:
        if not first:
            first.append(time.perf_counter())
        if cancel is not None and cancel.is_set():
            return True
        tid = step.token_id
        if tid in stop_ids:
            done.add(step.hypothesis_id)
        elif tid in newline_ids:
            # A newline before any text starts the next line; one after text ends it.
            if stop_at_newline and step.hypothesis_id in started:
                done.add(step.hypothesis_id)
        else:
            started.add(step.hypothesis_id)
        return len(done) >= n_hyp

    return on_step
