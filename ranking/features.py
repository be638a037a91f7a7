"""Per-candidate features: likelihood, entropy statistics, end token, syntax, agreement, context."""

from __future__ import annotations

import builtins
import keyword
import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from completion.errors import GenerationCancelled
from completion.types import Candidate

TAIL_TOKENS = 3
# How far around the cursor identifiers are collected for ``known_names`` (bounded on purpose:
# a huge document must not cost more than a normal one).
NAME_WINDOW = 20_000
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Names a candidate may use without the document defining them.
_COMMON = frozenset(
    [
        *keyword.kwlist,
        *dir(builtins),
        *("self", "cls", "this", "true", "false", "null", "undefined", "let", "const", "var"),
        *("function", "return", "new", "fn", "func", "int", "str", "void", "string", "err"),
    ]
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Features:
    """What the ranker and the confidence model look at, for one candidate.

    ``mean_logprob`` is length-normalised: a summed log-prob prefers short candidates.
    ``tail_entropy`` is the mean entropy of the last three tokens: where the model decided how
    to end; ``first_entropy`` is the first token's: where it chose a direction.
    ``known_names`` is the share of the candidate's identifiers that the document (near the
    cursor) or the language already has: invented names are a common way to be wrong.
    ``line_typed`` counts the non-blank characters typed on the cursor's line before it, and
    ``code_after`` says whether code follows the cursor on its line (or, at column 0, on the
    next line): how much of the answer is already pinned down.
    """

    mean_logprob: float
    sum_logprob: float
    min_logprob: float = 0.0
    mean_entropy: float
    max_entropy: float
    tail_entropy: float
    first_entropy: float = 0.0
    ended: bool
    emitted_eot: bool
    syntax_delta: int  # > 0: the insertion added parse errors in the edited region
    agreement: float  # vote-weighted similarity to all samples, in [0, 1]
    vote_share: float = 0.0  # share of the samples that produced exactly this text
    n_tokens: int
    n_chars: int = 0
    known_names: float = 1.0
    line_typed: int = 0
    code_after: bool = False

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
    from its own votes alone. Agreement is a strong signal for big models (HonestCoder), and a
    trap for a small one that repeats the same wrong line: the fitted ranker weighs it.
    """
    total = sum(c.votes for c in candidates) or 1
    out = []
    for c in candidates:
        s = sum(o.votes * (1.0 if o is c else similarity(c.text, o.text)) for o in candidates)
        out.append(s / total)
    return out


def document_names(text: str, offset: int) -> frozenset[str]:
    """Identifiers in the document near the cursor (``NAME_WINDOW`` characters each side)."""
    lo, hi = max(0, offset - NAME_WINDOW), min(len(text), offset + NAME_WINDOW)
    return frozenset(_IDENT.findall(text, lo, hi))


def known_share(candidate: str, names: frozenset[str], line_prefix: str) -> float:
    """Share of the candidate's identifiers that the document or the language knows.

    A name the candidate assigns (``total = ...`` at the start of its line) is new by design.
    """
    words = _IDENT.findall(candidate)
    if not words:
        return 1.0
    assigned = set()
    m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:=[^=]|:)", line_prefix + candidate)
    if m:
        assigned.add(m.group(1))
    known = sum(1 for w in words if w in names or w in _COMMON or w in assigned)
    return known / len(words)


def context_of(text: str, offset: int) -> tuple[str, int, bool]:
    """(the cursor line's text before the cursor, its non-blank length, code after the cursor)."""
    line_prefix = text[max(0, offset - 4096) : offset].rsplit("\n", 1)[-1]
    rest = text[offset : offset + 4096].split("\n", 1)[0]
    return line_prefix, len(line_prefix.strip()), bool(rest.strip())


def compute(
    candidates: Sequence[Candidate],
    text: str,
    offset: int,
    language: str | None,
    *,
    cancel: threading.Event | None = None,
) -> list[Features]:
    """Features for every candidate of one request (syntax delta only for known languages);
    ``cancel`` set from another thread stops between candidates (GenerationCancelled)."""
    from grammars import syntax_delta

    agree = agreement(candidates)
    total_votes = sum(c.votes for c in candidates) or 1
    names = document_names(text, offset)
    line_prefix, typed, code_after = context_of(text, offset)
    feats = []
    for c, ag in zip(candidates, agree, strict=True):
        if cancel is not None and cancel.is_set():
            raise GenerationCancelled("cancelled while ranking")
        delta = 0
        if language is not None:
            delta = syntax_delta(text, offset, c.text, language)
        ents = c.entropies
        feats.append(
            Features(
                mean_logprob=_mean(c.logprobs),
                sum_logprob=float(sum(c.logprobs)),
                min_logprob=min(c.logprobs) if c.logprobs else 0.0,
                mean_entropy=_mean(ents),
                max_entropy=max(ents) if ents else 0.0,
                tail_entropy=_mean(ents[-TAIL_TOKENS:]),
                first_entropy=ents[0] if ents else 0.0,
                ended=c.ended,
                emitted_eot=c.emitted_eot,
                syntax_delta=delta,
                agreement=ag,
                vote_share=c.votes / total_votes,
                n_tokens=len(c.logprobs),
                n_chars=len(c.text.strip()),
                known_names=known_share(c.text, names, line_prefix),
                line_typed=typed,
                code_after=code_after,
            )
        )
    return feats


def log1p(x: float) -> float:
    return math.log1p(max(0.0, x))
