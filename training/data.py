"""Turns tokenized files into training rows: windows, the FIM transformation, and packing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class SpecialIds:
    eot: int
    prefix: int
    middle: int
    suffix: int


def windows(ids: np.ndarray, newline_mask: np.ndarray, size: int, rng: np.random.Generator):
    """Cuts one file into windows of at most ``size`` tokens that start after a newline."""
    starts = np.flatnonzero(newline_mask) + 1
    pos = 0
    n = len(ids)
    while pos < n:
        end = min(n, pos + size)
        if end < n:
            # End the window on a line boundary when one is near, so samples are whole lines.
            cut = starts[(starts > pos + size // 2) & (starts <= end)]
            if len(cut):
                end = int(cut[-1])
        yield ids[pos:end], newline_mask[pos:end]
        pos = end if end > pos else pos + size
        # A random first line for the next window varies the context across epochs.
        if pos < n and rng.random() < 0.3:
            nxt = starts[(starts > pos) & (starts < pos + 64)]
            if len(nxt):
                pos = int(rng.choice(nxt))


def fim_transform(
    ids: np.ndarray,
    newline_mask: np.ndarray,
    sp: SpecialIds,
    rng: np.random.Generator,
    spm_share: float = 0.3,
) -> np.ndarray:
    """Rearranges one window into prefix-suffix-middle (or suffix-prefix-middle) order.

    Split points fall on token boundaries (never mid-token: the trial model that split at random
    characters learned to start every middle with a stray letter), and the middle usually ends at
    a line end, which is what the engine asks for at inference time.
    """
    n = len(ids)
    if n < 8:
        return np.concatenate([ids, [sp.eot]])
    start = int(rng.integers(1, n - 1))
    line_ends = np.flatnonzero(newline_mask)  # index of each newline token
    after = line_ends[line_ends >= start]
    r = rng.random()
    if r < 0.5 and len(after):
        end = int(after[0])  # rest of the current line (newline stays in the suffix)
    elif r < 0.8 and len(after):
        k = int(rng.integers(0, min(4, len(after))))
        end = int(after[k])  # one to four lines
    else:
        end = min(n, start + int(rng.integers(1, 64)))
    end = max(end, start)
    prefix, middle, suffix = ids[:start], ids[start:end], ids[end:]
    if rng.random() < spm_share:
        head = [np.array([sp.prefix, sp.suffix]), suffix, [sp.middle], prefix]
    else:
        head = [[sp.prefix], prefix, [sp.suffix], suffix, [sp.middle]]
    return np.concatenate([*head, middle, [sp.eot]]).astype(np.int64)


class Stream:
    """An endless, seeded stream of packed ``(batch, seq_len + 1)`` training rows."""

    def __init__(
        self,
        files: list[np.ndarray],
        newline_ids: np.ndarray,
        sp: SpecialIds,
        seq_len: int,
        batch: int,
        fim_rate: float,
        seed: int,
    ) -> None:
        self.files, self.newline_ids, self.sp = files, newline_ids, sp
        self.seq_len, self.batch, self.fim_rate = seq_len, batch, fim_rate
        self.rng = np.random.default_rng(seed)
        self._buf: list[int] = []

    def _samples(self):
        while True:
            for i in self.rng.permutation(len(self.files)):
                ids = self.files[i]
                mask = np.isin(ids, self.newline_ids)
                for w, m in windows(ids, mask, self.seq_len - 8, self.rng):
                    if self.rng.random() < self.fim_rate:
                        yield fim_transform(w, m, self.sp, self.rng)
                    else:
                        yield np.concatenate([w, [self.sp.eot]]).astype(np.int64)

    def batches(self):
        row = self.seq_len + 1
        gen = self._samples()
        while True:
            while len(self._buf) < row * self.batch:
                self._buf.extend(next(gen).tolist())
            chunk, self._buf = self._buf[: row * self.batch], self._buf[row * self.batch :]
            yield np.asarray(chunk, dtype=np.int64).reshape(self.batch, row)
