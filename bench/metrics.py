"""Benchmark statistics: bootstrap intervals, AUROC, ECE, Brier, risk-coverage, text matching."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BINS = 10
COVERAGES = (0.5, 0.8, 0.9)


def same_code(candidate: str, target: str) -> bool:
    """Exact match up to trailing whitespace on each line and blank lines around the text."""

    def norm(s: str) -> str:
        return "\n".join(line.rstrip() for line in s.strip("\n").split("\n"))

    return norm(candidate) == norm(target)


def edit_similarity(a: str, b: str) -> float:
    """1 - Levenshtein distance / length of the longer string, in [0, 1] (1: identical)."""
    a, b = a.rstrip(), b.rstrip()
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return 1.0 - prev[-1] / max(len(a), len(b))


def bootstrap(values: Sequence[float], seed: int = 0, rounds: int = 2000) -> dict:
    """Mean with a 95% percentile-bootstrap interval over tasks (resampled with replacement)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return {"mean": None, "ci95": [None, None]}
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(rounds, x.size))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return {"mean": float(x.mean()), "ci95": [float(lo), float(hi)]}


def auroc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """Area under the ROC curve (Mann-Whitney U, ties count half); None with one class only."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(s.size, dtype=np.float64)
    ranks[order] = np.arange(1, s.size + 1)
    for value in np.unique(s):  # average ranks over ties
        tie = s == value
        ranks[tie] = ranks[tie].mean()
    u = ranks[y].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


def reliability(scores: Sequence[float], labels: Sequence[bool], bins: int = BINS) -> list[dict]:
    """Per equal-width bin of confidence: count, mean confidence, accuracy (empty bins kept)."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    # Bin k holds [k/bins, (k+1)/bins); a confidence of exactly 1.0 goes to the last bin.
    idx = np.minimum((s * bins).astype(int), bins - 1)
    out = []
    for k in range(bins):
        m = idx == k
        n = int(m.sum())
        out.append(
            {
                "lo": k / bins,
                "hi": (k + 1) / bins,
                "n": n,
                "confidence": float(s[m].mean()) if n else None,
                "accuracy": float(y[m].mean()) if n else None,
            }
        )
    return out


def ece(scores: Sequence[float], labels: Sequence[bool], bins: int = BINS) -> float | None:
    """Expected calibration error: sum over bins of |accuracy - confidence| x share of items."""
    total = len(scores)
    if total == 0:
        return None
    return float(
        sum(
            b["n"] / total * abs(b["accuracy"] - b["confidence"])
            for b in reliability(scores, labels, bins)
            if b["n"]
        )
    )


def brier(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """Mean squared error of the confidence against the 0/1 outcome."""
    if len(scores) == 0:
        return None
    s = np.asarray(scores, dtype=np.float64)
    return float(np.mean((s - np.asarray(labels, dtype=np.float64)) ** 2))


def risk_coverage(scores: Sequence[float], labels: Sequence[bool]) -> dict:
    """Accuracy when only the most confident share of items is answered.

    Returns the curve (coverage, accuracy) at every cut, the accuracy at 50/80/90% coverage
    (the top ceil(c x N) items) and the area under the risk curve (AURC, lower is better).
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    if s.size == 0:
        return {"coverage": [], "accuracy": [], "at": {}, "aurc": None}
    order = np.argsort(-s, kind="mergesort")
    hits = np.cumsum(y[order])
    k = np.arange(1, s.size + 1)
    acc = hits / k
    at = {f"{c:.0%}": float(acc[max(1, int(np.ceil(c * s.size))) - 1]) for c in COVERAGES}
    return {
        "coverage": (k / s.size).tolist(),
        "accuracy": acc.tolist(),
        "at": at,
        "aurc": float(np.mean(1.0 - acc)),
    }


def percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if len(values) else None
