"""The per-step callback of a CTranslate2 generation: stop rules, cancellation, first-token time,
giving up early.

CTranslate2 calls it for every generated token of every hypothesis and stops the whole call
when it returns True. That is how a cancelled or superseded request frees the CPU at once, and
how line mode ends as soon as every candidate has finished its line. It also ends a call whose
every candidate has already fallen below what could be shown (``give_up``): most
automatic requests abstain, and they need not decode to the end to know it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from .give_up import GiveUp, KeptSum
from .types import SamplingPolicy


def step_callback(
    n_hyp: int,
    stop_ids: frozenset[int],
    newline_ids: frozenset[int],
    *,
    started_all: bool,
    stop_at_newline: bool,
    cancel: threading.Event | None,
    first: list[float],
    give_up: GiveUp | None = None,
    start_sum: float = 0.0,
    gave_up: list[int] | None = None,
    pieces: Sequence[str] = (),
    head: str = "",
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
        give_up: stop once every hypothesis's summed log-prob, of what post-processing
            surely keeps of it (``give_up.KeptSum``), is below ``give_up.below``.
        start_sum: the log-probs already summed (token healing's tokens).
        gave_up: receives the number of steps decoded when the call gave up.
        pieces: the text of every vocabulary token (needed with ``give_up``).
        head: the text token healing's tokens add after the characters they re-typed.
    """
    done: set[int] = set()
    started: set[int] = set(range(n_hyp)) if started_all else set()
    rest = give_up.rest if give_up is not None else ""
    kept = [KeptSum(start_sum, rest, head) for _ in range(n_hyp)]
    sums = [start_sum] * n_hyp
    below = give_up.below if give_up is not None else -math.inf

    def on_step(step) -> bool:
        if not first:
            first.append(time.perf_counter())
        if cancel is not None and cancel.is_set():
            return True
        tid, h = step.token_id, step.hypothesis_id
        # A hypothesis that has ended keeps its sum: what it decodes after its end is cut.
        if h not in done:
            if tid in stop_ids:
                done.add(h)
            elif tid in newline_ids:
                # A newline before any text starts the next line; one after text ends it.
                if stop_at_newline and h in started:
                    done.add(h)
            else:
                started.add(h)
                if give_up is not None:
                    kept[h].add(pieces[tid], step.log_prob)
                    sums[h] = kept[h].value()
        if sums[h] < below and all(s < below for s in sums):
            if gave_up is not None and not gave_up:
                gave_up.append(step.step + 1)
            return True
        return len(done) >= n_hyp

    return on_step


def calls(policy: SamplingPolicy) -> list[tuple[dict[str, Any], bool]]:
    """The ``generate_batch`` options of each call a policy needs, and whether it is the greedy
    one: a greedy candidate (if asked) and one call with every sampled hypothesis."""
    n_sampled = policy.n - (1 if policy.include_greedy else 0)
    runs: list[tuple[dict[str, Any], bool]] = []
    if policy.include_greedy:
        runs.append(({"sampling_topk": 1, "num_hypotheses": 1}, True))
    if n_sampled > 0:
        sampled = {
            "sampling_topk": policy.top_k,
            "sampling_topp": policy.top_p,
            "sampling_temperature": max(policy.temperature, 1e-3),
            "num_hypotheses": n_sampled,
        }
        runs.append((sampled, False))
    return runs
