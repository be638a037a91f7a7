"""Per-candidate features: likelihood, entropy statistics, end token, syntax delta, agreement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from completion.types import Candidate

TAIL_TOKENS = 3


@dataclass(frozen=True, slots=True)
class Features:
    """What the ranker and the confidence model look at, for one candidate.

    ``mean_logprob`` is length-normalised on purpose: a summed log-prob prefers short
    candidates and ranks no better than random (Codex paper). ``tail_entropy`` is the mean
    entropy of the last three tokens: where the model decided how to end.
    """

    mean_logprob: float
    sum_logprob: float
    mean_entropy: float
    max_entropy: float
    tail_entropy: float
    ended: bool
    emitted_eot: bool
    syntax_delta: int  # > 0: the insertion added parse errors in the edited region
    agreement: float  # vote-weighted similarity to all samples, in [0, 1]
    n_tokens: int

    @property
    def syntax_ok(self) -> bool:
        return self.syntax_delta <= 0


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def similarity(a: str, b: str) -> float:
    """Edit similarity in [0, 1] (difflib ratio on whitespace-normalised text)."""
    a, b = " ".join(a.split()), " ".join(b.split())
    if a == b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def agreement(candidates: Sequence[Candidate]) -> list[float]:
    """For each candidate, the vote-weighted mean similarity to every sample drawn.

    Duplicates were merged with a vote count, so a text drawn 3 times out of 4 scores 0.75
    from its own votes alone: sample agreement is the strongest single confidence signal
    reported (HonestCoder).
    """
    total = sum(c.votes for c in candidates) or 1
    out = []
    for c in candidates:
        s = sum(o.votes * (1.0 if o is c else similarity(c.text, o.text)) for o in candidates)
        out.append(s / total)
    return out


def compute(
    candidates: Sequence[Candidate],
    text: str,
    offset: int,
    language: str | None,
) -> list[Features]:
    """Features for every candidate of one request (syntax delta only for known languages)."""
    from grammars import syntax_delta

    agree = agreement(candidates)
    feats = []
    for c, ag in zip(candidates, agree):
        delta = 0
        if language is not None:
            delta = syntax_delta(text, offset, c.text, language)
        ents = c.entropies
        feats.append(
            Features(
                mean_logprob=_mean(c.logprobs),
                sum_logprob=float(sum(c.logprobs)),
                mean_entropy=_mean(ents),
                max_entropy=max(ents) if ents else 0.0,
                tail_entropy=_mean(ents[-TAIL_TOKENS:]),
                ended=c.ended,
                emitted_eot=c.emitted_eot,
                syntax_delta=delta,
                agreement=ag,
                n_tokens=len(c.logprobs),
            )
        )
    return feats
