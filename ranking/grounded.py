"""Entropy decides when to ground: answer from the cheap context first, and only when the model
is unsure (low calibrated confidence, or a high-entropy first token) retrieve definitions from
the workspace and regenerate once. Shared by the server and the repository benchmark."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from completion import CompletionRequest, Engine

from .confidence import ConfidenceModel
from .rank import Ranking, RankOptions
from .risk import RuleSet
from .suggest import Outcome, suggest

WHEN = ("entropy", "always", "never")
# Unsure below the automatic abstain threshold (0.1: an answer that would be hidden gets one
# grounded try), or with a first token spread over more than ~7 choices (2 nats). Looked at on
# this repository only (bench --suite repo --path .: the shipped model is that unsure on ~94%
# of its cross-file lines, and no threshold kept the gain while regenerating much less);
# docs/benchmark.md reports them on held-out repositories.
BELOW_CONFIDENCE = 0.1
FIRST_ENTROPY = 2.0


@dataclass(frozen=True, slots=True, kw_only=True)
class GroundingRule:
    """When an automatic request is unsure enough to retrieve and regenerate."""

    below_confidence: float = BELOW_CONFIDENCE
    first_entropy: float = FIRST_ENTROPY

    def unsure(self, ranking: Ranking) -> bool:
        """No candidate, a best confidence under ``below_confidence``, or a top candidate whose
        first token's entropy (nats) is over ``first_entropy``."""
        if not ranking.all_scored:
            return True
        top = ranking.all_scored[0]
        return (
            ranking.best_confidence < self.below_confidence
            or top.features.first_entropy > self.first_entropy
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Grounded:
    """The answer and how grounding went: ``grounded`` when the answer came from a prompt with
    retrieved context, ``changed`` when that changed the top suggestion, ``cheap`` the first
    answer when there was a second one."""

    outcome: Outcome
    grounded: bool
    changed: bool
    asked: bool  # retrieval ran (it may have found nothing)
    cheap: Outcome | None
    retrieve_seconds: float


def top_text(outcome: Outcome) -> str | None:
    scored = outcome.ranking.all_scored
    return scored[0].text if scored else None


def suggest_grounded(
    engine: Engine,
    request: CompletionRequest,
    ground: Callable[[CompletionRequest], CompletionRequest | None],
    *,
    when: str = "entropy",
    rule: GroundingRule | None = None,
    options: RankOptions | None = None,
    model: ConfidenceModel | None = None,
    rules: RuleSet | None = None,
    cancel: threading.Event | None = None,
) -> Grounded:
    """``ranking.suggest`` with workspace grounding.

    Args:
        engine, request, options, model, rules, cancel: as for ``suggest``; the request
            carries the cheap context (snippets of open files).
        ground: the request with retrieved context (``Retrieved.apply``), None when nothing
            resolved; called at most once, only when grounding is wanted.
        when: ``always`` (invoked requests: ground before the first generation),
            ``entropy`` (generate, then ground and regenerate once if ``rule`` finds the
            answer unsure) or ``never``.

    Returns:
        The answer to show and what grounding did.
    """
    if when not in WHEN:
        raise ValueError(f"grounding must be one of {list(WHEN)}, got {when!r}")
    rule = rule or GroundingRule()

    def run(req: CompletionRequest) -> Outcome:
        return suggest(engine, req, options=options, model=model, rules=rules, cancel=cancel)

    def fetch() -> tuple[CompletionRequest | None, float]:
        t = time.perf_counter()
        grounded = ground(request)
        return (None if grounded == request else grounded), time.perf_counter() - t

    if when == "always":
        grounded, seconds = fetch()
        return Grounded(
            outcome=run(grounded or request),
            grounded=grounded is not None,
            changed=False,
            asked=True,
            cheap=None,
            retrieve_seconds=seconds,
        )
    first = run(request)
    # Given up on: nothing of it can be shown, whatever its cut-short candidates score.
    if when == "never" or not (first.result.gave_up_at or rule.unsure(first.ranking)):
        return Grounded(
            outcome=first, grounded=False, changed=False, asked=False, cheap=None,
            retrieve_seconds=0.0,
        )  # fmt: skip
    grounded, seconds = fetch()
    if grounded is None:
        return Grounded(
            outcome=first, grounded=False, changed=False, asked=True, cheap=None,
            retrieve_seconds=seconds,
        )  # fmt: skip
    second = run(grounded)
    return Grounded(
        outcome=second,
        grounded=True,
        changed=top_text(second) != top_text(first),
        asked=True,
        cheap=first,
        retrieve_seconds=seconds,
    )
