"""Token healing at generation time: the first tokens must re-type what the prompt backed off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .backend import token_stats
from .prompt import Prompt, TokenText

# Token healing re-types at most this many tokens before free generation starts.
MAX_HEAL_STEPS = 3


def heal(
    forward: Callable[..., Any],
    prompt: Prompt,
    vocab_text: TokenText,
) -> tuple[list[int], list[float], list[float]]:
    """Chooses the first tokens among those that re-produce the healed characters.

    One step per token (at most ``MAX_HEAL_STEPS``): the logits come from a one-token
    generation (CTranslate2 has no logits processor), and the most likely allowed token is
    taken. Log-prob and entropy are those of the distribution renormalised to the allowed
    tokens, i.e. how sure the model is given what the user already typed.

    Args:
        forward: ``CT2Engine.forward``: token ids and generate_batch options -> one result.
        prompt: the prompt with its ``heal_text`` and allowed first ``heal_ids``.
        vocab_text: the decoded vocabulary (which tokens continue a string).

    Returns:
        The chosen ids with their log-probs and entropies (empty when nothing was healed).
    """
    ids: list[int] = []
    lps: list[float] = []
    ents: list[float] = []
    rest, allowed_ids = prompt.heal_text, list(prompt.heal_ids)
    for _ in range(MAX_HEAL_STEPS):
        if not rest or not allowed_ids:
            break
        res = forward(
            prompt.ids + tuple(ids), max_length=1, sampling_topk=1, return_logits_vocab=True
        )
        z = np.asarray(res.logits[0][0], dtype=np.float64)
        allowed = np.fromiter(allowed_ids, dtype=np.int64)
        sub = z[allowed]
        pick = int(sub.argmax())
        lp, ent = token_stats(sub, pick)
        best = int(allowed[pick])
        ids.append(best)
        lps.append(lp)
        ents.append(ent)
        text = vocab_text.text[best]
        rest = "" if text.startswith(rest) else rest[len(text) :]
        allowed_ids = vocab_text.healing(rest) if rest else []
    return ids, lps, ents
