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


# Kinds of hole, with their share of FIM samples. Every boundary is a token boundary and most are
# line boundaries, because that is where an editor's cursor and the benchmark's holes sit:
#   lines - whole lines with their newline (the official HumanEval single-line placement)
#   rest  - from a token inside a line to its end; the newline stays in the suffix (typing)
#   span  - a few tokens inside one line (an argument, an expression)
#   block - four to twelve whole lines (a statement with its body)
HOLES: tuple[tuple[str, float], ...] = (
    ("lines", 0.35),
    ("rest", 0.35),
    ("span", 0.15),
    ("block", 0.15),
)


@dataclass(frozen=True, slots=True)
class Sample:
    """One training sample: tokens and a 0/1 weight per token (1 = the loss predicts it)."""

    ids: np.ndarray
    weight: np.ndarray


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


def pick_hole(newline_mask: np.ndarray, rng: np.random.Generator) -> tuple[int, int]:
    """Start and end token index of the middle, aligned to lines and tokens (see ``HOLES``)."""
    n = len(newline_mask)
    newlines = np.flatnonzero(newline_mask)
    line_starts = np.concatenate([[0], newlines + 1])
    line_starts = line_starts[line_starts < n]
    kind = HOLES[int(rng.choice(len(HOLES), p=[w for _, w in HOLES]))][0]
    if kind in ("lines", "block") or not len(newlines):
        first = int(rng.integers(0, len(line_starts)))
        count = int(rng.integers(1, 4)) if kind == "lines" else int(rng.integers(4, 13))
        stop = first + count
        end = int(line_starts[stop]) if stop < len(line_starts) else n
        return int(line_starts[first]), end
    # A line that has text: its newline token and the tokens before it on the same line.
    row = int(rng.integers(0, len(newlines)))
    line_end = int(newlines[row])
    line_start = int(line_starts[row])
    start = int(rng.integers(line_start, line_end + 1))
    if kind == "rest" or start >= line_end:
        return start, line_end
    return start, int(rng.integers(start + 1, line_end + 1))


def fim_transform(
    ids: np.ndarray,
    newline_mask: np.ndarray,
    sp: SpecialIds,
    rng: np.random.Generator,
    spm_share: float = 0.2,
) -> Sample:
    """Rearranges one window into prefix-suffix-middle (or suffix-prefix-middle) order.

    The loss covers the prefix (plain left-to-right text), the middle and the end token; the
    suffix section is context only, since nothing at inference time asks the model to write it.
    """
    n = len(ids)
    if n < 8:
        return plain(ids, sp)
    start, end = pick_hole(newline_mask, rng)
    prefix, middle, suffix = ids[:start], ids[start:end], ids[end:]
    one = lambda a: np.ones(len(a), dtype=np.int8)  # noqa: E731
    zero = lambda a: np.zeros(len(a), dtype=np.int8)  # noqa: E731
    if rng.random() < spm_share:
        parts = [([sp.prefix, sp.suffix], 0), (suffix, 0), ([sp.middle], 0), (prefix, 1)]
    else:
        parts = [([sp.prefix], 0), (prefix, 1), ([sp.suffix], 0), (suffix, 0), ([sp.middle], 0)]
    parts += [(middle, 1), ([sp.eot], 1)]
    toks = [np.asarray(p, dtype=np.int64) for p, _ in parts]
    weights = [one(t) if w else zero(t) for t, (_, w) in zip(toks, parts, strict=True)]
    return Sample(np.concatenate(toks), np.concatenate(weights))


def plain(ids: np.ndarray, sp: SpecialIds) -> Sample:
    """A left-to-right sample: the window and an end token, all of it trained on."""
    toks = np.concatenate([ids, [sp.eot]]).astype(np.int64)
    return Sample(toks, np.ones(len(toks), dtype=np.int8))


class Stream:
    """An endless, seeded stream of packed ``(batch, seq_len + 1)`` rows and their loss weights.

    Plain samples may run on into the next row; a FIM sample never does (its prefix, suffix and
    middle must sit in one row to mean anything), so a row that cannot hold the next FIM sample
    is padded with end tokens that carry no loss.
    """

    def __init__(
        self,
        files: list[np.ndarray],
        newline_ids: np.ndarray,
        sp: SpecialIds,
        seq_len: int,
        batch: int,
        fim_rate: float,
        seed: int,
        spm_share: float = 0.2,
    ) -> None:
        self.files, self.newline_ids, self.sp = files, newline_ids, sp
        self.spm_share = spm_share
        self.seq_len, self.batch, self.fim_rate = seq_len, batch, fim_rate
        self.rng = np.random.default_rng(seed)

    def _samples(self):
        while True:
            for i in self.rng.permutation(len(self.files)):
                ids = self.files[i]
                mask = np.isin(ids, self.newline_ids)
                for w, m in windows(ids, mask, self.seq_len - 8, self.rng):
                    if self.rng.random() < self.fim_rate:
                        yield True, fim_transform(w, m, self.sp, self.rng, self.spm_share)
                    else:
                        yield False, plain(w, self.sp)

    def _rows(self):
        width = self.seq_len + 1
        toks: list[int] = []
        wts: list[int] = []
        for whole, s in self._samples():
            if whole and len(toks) + len(s.ids) > width:
                pad = width - len(toks)
                toks += [self.sp.eot] * pad
                wts += [0] * pad
            toks += s.ids.tolist()
            wts += s.weight.tolist()
            while len(toks) >= width:
                yield toks[:width], wts[:width]
                toks, wts = toks[width:], wts[width:]

    def batches(self):
        """Yields ``(tokens, weights)``: int64 and int8 arrays of shape ``(batch, seq_len + 1)``."""
        rows = self._rows()
        while True:
            got = [next(rows) for _ in range(self.batch)]
            yield (
                np.asarray([t for t, _ in got], dtype=np.int64),
                np.asarray([w for _, w in got], dtype=np.int8),
            )
