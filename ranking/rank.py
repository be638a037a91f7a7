"""Orders candidates (syntax first, then confidence), dedupes, abstains, and attaches review flags."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from completion.errors import GenerationCancelled
from completion.types import Candidate
from grammars import head, region

from .confidence import ConfidenceModel
from .features import Features, compute
from .risk import REVIEW_ENTROPY, ReviewFlag, RuleSet, find_flags


@dataclass(frozen=True, slots=True)
class RankOptions:
    """How many suggestions to show and when to stay quiet."""

    top_k: int = 3
    abstain_below: float = 0.0  # best confidence under this -> no suggestion (0 = never)
    review_entropy: float = REVIEW_ENTROPY  # nats: a sensitive span above this needs review
    drop_syntax_breaking: bool = False  # keep them, ranked last, unless asked to drop
    # Single-line requests stop decoding once no candidate can reach abstain_below
    # (ranking.suggest.give_up_bound); False: decode to the end.
    stop_early: bool = True


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A ranked suggestion: the text, how sure we are, and what needs review."""

    text: str
    confidence: float
    features: Features
    flags: tuple[ReviewFlag, ...]
    candidate: Candidate
    rank_score: float = 0.0  # what orders the candidates of a request (not a probability)

    @property
    def review_required(self) -> bool:
        return any(f.review_required for f in self.flags)


@dataclass(frozen=True, slots=True)
class Ranking:
    """The outcome for one request: the suggestions shown, or an abstention."""

    suggestions: tuple[Suggestion, ...]
    abstained: bool
    best_confidence: float
    all_scored: tuple[Suggestion, ...]  # every candidate, ranked, for benchmarks and telemetry


def order_key(s: Suggestion) -> tuple[bool, float, float]:
    """Syntax-breaking candidates go below syntax-clean ones, then the higher rank score."""
    return (not s.features.syntax_ok, -s.rank_score, -s.confidence)


def rank(
    candidates: Sequence[Candidate],
    text: str,
    offset: int,
    language: str | None,
    *,
    options: RankOptions | None = None,
    model: ConfidenceModel | None = None,
    rules: RuleSet | None = None,
    cancel: threading.Event | None = None,
) -> Ranking:
    """Scores, orders and filters the candidates of one request.

    Args:
        candidates: unique candidates from ``completion.pipeline.complete``.
        text, offset: the document and the cursor (str offset).
        language: grammar name, or None when unknown (no syntax or risk checks).
        options: top-k, abstain threshold, review entropy threshold.
        model: the confidence model (fitted by the benchmark, or the default priors).
        rules: sensitive-API rules (default: the shipped ones).
        cancel: set from another thread to stop between candidates (GenerationCancelled).

    Returns:
        The top-k suggestions (empty when abstaining) and every candidate scored.
    """
    options = options or RankOptions()
    model = model or ConfidenceModel()
    feats = compute(candidates, text, offset, language, cancel=cancel)
    # Review rules see the cursor's region and the file's head (its imports), not the whole
    # file: a parse per candidate of a 10 MB document took seconds.
    lo, hi = region(text, offset)
    top = head(text, lo)
    around, at = top + text[lo:hi], len(top) + offset - lo
    scored = []
    for c, f, (score, conf) in zip(candidates, feats, model.assess(feats), strict=True):
        if cancel is not None and cancel.is_set():
            raise GenerationCancelled("cancelled while ranking")
        flags: tuple[ReviewFlag, ...] = ()
        if language is not None:
            flags = tuple(
                find_flags(
                    around,
                    at,
                    c.text,
                    language,
                    c.token_starts,
                    c.entropies,
                    threshold=options.review_entropy,
                    rules=rules,
                )
            )
        scored.append(Suggestion(c.text, conf, f, flags, c, rank_score=score))
    scored.sort(key=order_key)
    best = scored[0].confidence if scored else 0.0  # the confidence of what is shown first
    shown = [s for s in scored if s.features.syntax_ok or not options.drop_syntax_breaking]
    shown = _dedupe(shown)[: options.top_k]
    abstain = not shown or best < options.abstain_below
    return Ranking(() if abstain else tuple(shown), abstain, best, tuple(scored))


def _dedupe(items: list[Suggestion]) -> list[Suggestion]:
    """Drops suggestions that differ from a better one only in trailing whitespace."""
    seen: set[str] = set()
    out = []
    for s in items:
        key = s.text.rstrip()
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out
