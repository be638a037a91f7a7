"""Records that flow through the engine: requests, policies, raw samples and candidates."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .give_up import GiveUp


class Mode(str, Enum):
    """How far a completion may reach."""

    LINE = "line"  # stop at the end of the current line
    BLOCK = "block"  # stop at the end of the current block (indentation / tree-sitter)


@dataclass(frozen=True, slots=True)
class SamplingPolicy:
    """How many candidates to draw and how adventurous to be.

    The trigger picks the policy: an automatic (typing) trigger asks for a few confident
    candidates, an invoked trigger for more varied alternatives.
    """

    n: int = 3
    temperature: float = 0.2
    top_p: float = 0.95
    top_k: int = 50
    include_greedy: bool = True
    max_new_tokens: int = 48
    # Prompt tokens at most (0: the model's whole window). A shorter window makes every
    # decoding step cheaper (CTranslate2 copies the attention cache each step).
    prompt_tokens: int = 0
    mode: Mode = Mode.LINE
    seed: int = 0
    # When no candidate can be shown any more (``give_up.GiveUp``, from the confidence model
    # and the request's abstain threshold): decoding stops then, and the request abstains.
    # None: decode to the end.
    give_up: GiveUp | None = None


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """The document, where the cursor is (a str offset, code points), and its language."""

    text: str
    offset: int
    language_id: str | None = None
    path: str | None = None
    policy: SamplingPolicy = field(default_factory=SamplingPolicy)
    # Snippets from other open documents used as extra context (already chosen by the caller).
    context_snippets: tuple[str, ...] = ()
    # One-line notes (signatures of workspace definitions the code at the cursor uses) put as
    # comments right above the cursor's line: where a small prefix-only model uses them.
    hints: tuple[str, ...] = ()
    # Complete even when the model does not declare the document's language.
    any_language: bool = False


@dataclass(frozen=True, slots=True)
class Sample:
    """One raw generated sequence with per-token statistics (before post-processing)."""

    token_ids: tuple[int, ...]
    logprobs: tuple[float, ...]  # log p of each chosen token (natural log)
    entropies: tuple[float, ...]  # entropy (nats) of the full next-token distribution
    greedy: bool = False


@dataclass(frozen=True, slots=True)
class Candidate:
    """One post-processed completion: the text to insert and the statistics of its tokens.

    ``token_starts[i]`` is the offset in ``text`` where token ``i`` begins; tokens that only
    re-produced characters removed by token healing are dropped from the statistics' spans
    but kept in the numbers (they are part of what the model was unsure about).
    """

    text: str
    logprobs: tuple[float, ...]
    entropies: tuple[float, ...]
    token_starts: tuple[int, ...]
    ended: bool  # the model emitted its end token (EOS / end-of-middle) or a stop rule fired
    emitted_eot: bool  # the model itself emitted EOS / end-of-middle
    greedy: bool = False
    sample_index: int = 0
    votes: int = 1  # how many samples produced this same text (agreement)


@dataclass(frozen=True, slots=True)
class GenerationTimings:
    """Where the time of one request went, in seconds."""

    prompt: float = 0.0
    generate: float = 0.0
    first_token: float = 0.0
    entropy: float = 0.0
    postprocess: float = 0.0
    rank: float = 0.0
