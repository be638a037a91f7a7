"""Which prompt prefixes CTranslate2 keeps computed between requests, bounded in bytes.

From one keystroke to the next only the end of the prompt changes: the lines above the cursor
are the same tokens. CTranslate2 can keep the model state (the KV cache) after a "static
prompt" and start later calls from it, so a request pays only for the tokens after it instead
of the whole window. CTranslate2 never evicts such a state, though, so this class decides which
prefixes become static prompts and keeps their total size under a budget: when a new one would
not fit, the engine reloads its generator (which frees them all) and starts over.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# A prefix shorter than this is cheaper to recompute than to cache.
MIN_STATIC_TOKENS = 48
# Reuse a cached prefix while the tokens after it are fewer than this: beyond it a new, longer
# prefix pays for itself within a few requests.
MAX_REUSE_TAIL = 160
# The prefix window's start is aligned to this many characters when prefixes are cached, so
# that it stays put while the user types (a moving start would change every token).
WINDOW_SNAP_CHARS = 192


@dataclass(frozen=True, slots=True)
class Plan:
    """How to forward one prompt: ``static`` (possibly cached) then ``rest``."""

    static: tuple[int, ...]
    rest: tuple[int, ...]
    reset: bool  # free every cached prefix (reload the generator) before the call
    hit: bool  # ``static`` was already computed by an earlier call


def kv_bytes_per_token(model_bin: Path, device: str) -> int:
    """Bytes one cached token takes: keys and values of every layer at the hidden width.

    CTranslate2 keeps the cache at the full hidden width (grouped-query models included:
    ~188 MiB per 1,000 tokens measured on the Qwen2.5-Coder-0.5B architecture, which this
    formula puts at 168), in float32 on CPU and float16 on GPU. A model.bin whose header cannot
    be read counts as a 4,096-wide, 32-layer model, so the budget errs on the safe side.
    """
    from .modelbin import ModelBinError, read_header

    try:
        header = read_header(model_bin)
        layers, width = header.layers, (header.embedding_shape or (0, 4096))[-1]
    except (OSError, ModelBinError):
        layers, width = 32, 4096
    return max(1, layers) * 2 * width * (4 if device == "cpu" else 2)


def line_cut(ids: tuple[int, ...], newline_ids: frozenset[int], prefix_end: int | None) -> int:
    """Where a cached prefix of ``ids`` ends: after the last newline before the cursor's line
    (in a FIM prompt, before the suffix section, which starts with ``prefix_end``)."""
    end = ids.index(prefix_end) if prefix_end is not None and prefix_end in ids else len(ids)
    for i in range(end - 1, -1, -1):
        if ids[i] in newline_ids:
            return i + 1
    return 0


class PrefixCache:
    """Bookkeeping of the static prompts held by one CTranslate2 generator.

    Args:
        budget_bytes: the most the cached states may take together (0: cache nothing).
        bytes_per_token: from ``kv_bytes_per_token``.
    """

    def __init__(self, budget_bytes: int, bytes_per_token: int) -> None:
        self.budget = max(0, budget_bytes)
        self.per_token = max(1, bytes_per_token)
        self._held: OrderedDict[tuple[int, ...], None] = OrderedDict()
        self.hits = 0
        self.resets = 0

    @property
    def held_bytes(self) -> int:
        return sum(len(p) for p in self._held) * self.per_token

    def clear(self) -> None:
        """The generator was reloaded: nothing is cached any more."""
        self._held.clear()

    def worth_warming(self, ids: Sequence[int], cut: int) -> bool:
        """Whether computing a static prefix of ``ids`` ahead of a request would pay: caching
        is on, the prefix is long enough, and no held one serves ``ids`` already."""
        ids = tuple(ids)
        if self.budget == 0 or min(cut, len(ids) - 1) < MIN_STATIC_TOKENS:
            return False
        best = self._longest_held(ids)
        return not (best and len(ids) - len(best) <= MAX_REUSE_TAIL)

    def _longest_held(self, ids: tuple[int, ...]) -> tuple[int, ...]:
        """The longest held prefix of ``ids`` (shorter than ``ids``), or ()."""
        best: tuple[int, ...] = ()
        for held in self._held:
            if len(best) < len(held) < len(ids) and ids[: len(held)] == held:
                best = held
        return best

    def plan(self, ids: Sequence[int], cut: int) -> Plan:
        """Splits ``ids`` into a static prefix and the rest.

        Args:
            ids: the prompt.
            cut: where a new static prefix would end (a line start before the cursor's line:
                the tokens before it stay the same while the user types on that line).
        """
        ids = tuple(ids)
        cut = min(cut, len(ids) - 1)  # at least one token must follow the static prompt
        if self.budget == 0 or cut < MIN_STATIC_TOKENS:
            return Plan((), ids, False, False)
        best = self._longest_held(ids)
        if best and len(ids) - len(best) <= MAX_REUSE_TAIL:
            self._held.move_to_end(best)
            self.hits += 1
            return Plan(best, ids[len(best) :], False, True)
        # A window bigger than the budget still caches the part of it that fits.
        static = ids[: min(cut, self.budget // self.per_token)]
        if len(static) < MIN_STATIC_TOKENS:
            return Plan((), ids, False, False)
        if len(best) >= len(static):  # nothing longer would fit: the held one is the best
            self._held.move_to_end(best)
            self.hits += 1
            return Plan(best, ids[len(best) :], False, True)
        size = len(static) * self.per_token
        reset = self.held_bytes + size > self.budget
        if reset:
            self.resets += 1
            self._held.clear()
        self._held[static] = None
        return Plan(static, ids[len(static) :], reset, False)
