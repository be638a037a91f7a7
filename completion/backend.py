"""What every engine backend offers the pipeline: the model's description, the Engine protocol,
and the per-token statistics (log-prob and entropy) computed from a next-token distribution."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from tokenizers import Tokenizer

from .fim import FimTemplate
from .prompt import Prompt, TokenText
from .types import Sample, SamplingPolicy


def token_stats(logits: np.ndarray, token_id: int) -> tuple[float, float]:
    """(log p(token), entropy) of one next-token distribution given its raw logits, in nats.

    Row by row on purpose: stacking the rows of a request into one array first was measured
    20x slower than this loop (the copy dominates). The vector work stays in float32 (the
    logits' own type; a float64 copy was 8.6x slower on a 151,936-token vocabulary) and only
    the two sums are carried in float64.
    """
    z = logits if logits.dtype == np.float32 else logits.astype(np.float32)
    m = float(z.max())
    shifted = z - np.float32(m)
    e = np.exp(shifted)
    s = float(e.sum(dtype=np.float64))
    # H = log s - E[z - m]; shifting by m keeps the dot product well conditioned.
    entropy = np.log(s) - float(np.dot(e, shifted)) / s
    return float(shifted[token_id]) - float(np.log(s)), max(0.0, float(entropy))


def decode_pieces(
    tokenizer: Tokenizer, prompt: Prompt, ids: tuple[int, ...]
) -> tuple[str, list[int]]:
    """Decodes generated ids to text and the start offset of each token in that text.

    Decoding is anchored on the last prompt token so SentencePiece tokenizers keep a leading
    space that a bare decode would strip.
    """
    anchor = [prompt.ids[-1]] if prompt.ids else []
    base = tokenizer.decode(anchor, skip_special_tokens=False)
    starts, prev = [], 0
    for k in range(1, len(ids) + 1):
        starts.append(prev)
        full = tokenizer.decode(anchor + list(ids[:k]), skip_special_tokens=False)
        prev = len(full) - len(base)
    text = tokenizer.decode(anchor + list(ids), skip_special_tokens=False)[len(base) :]
    return text, starts


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What the engine knows about the loaded model."""

    path: str
    model_id: str  # short content hash: the telemetry and benchmark key
    family: str  # FIM family, or "plain" for prefix-only
    device: str
    compute_type: str
    context_tokens: int
    vocab_size: int
    # Grammar names the model was trained on (entropy-complete.json "languages"); None: any.
    languages: tuple[str, ...] | None = None
    # Characters the prompt window's start is aligned to, so a cached prefix stays valid while
    # the user types (0: the window starts wherever the budget allows).
    window_snap: int = 0


class Engine(Protocol):
    """What the pipeline needs from a model backend (CTranslate2 here; a remote server later)."""

    info: ModelInfo
    template: FimTemplate | None
    prompt_template: FimTemplate | None
    tokenizer: Tokenizer
    vocab_text: TokenText
    stop_ids: frozenset[int]

    def decode_pieces(self, prompt: Prompt, ids: tuple[int, ...]) -> tuple[str, list[int]]: ...

    def generate(
        self,
        prompt: Prompt,
        policy: SamplingPolicy,
        cancel: threading.Event | None = None,
        stop_at_newline: bool = False,
        stats: dict[str, float] | None = None,
    ) -> tuple[list[Sample], float]:
        """Draws ``policy.n`` samples (plus a greedy one if asked) for ``prompt``.

        Args:
            prompt: from ``prompt.build``.
            policy: n, temperature, top-p/top-k, max tokens, greedy candidate, and when to
                give up (``policy.give_up``; an engine may ignore it and decode to the end).
            cancel: when set, generation stops at the next step and GenerationCancelled is raised.
            stop_at_newline: stop the whole call once every hypothesis has ended a line.
            stats: if given, receives ``first_token`` (seconds from the call to the first
                generated token: the prompt's prefill, healing included) and, when every
                candidate fell below ``policy.give_up``, ``gave_up_at`` (the steps decoded).

        Returns:
            The samples and the seconds spent computing entropies.
        """
        ...
