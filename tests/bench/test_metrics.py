"""Benchmark statistics against values worked out by hand."""

from __future__ import annotations

import pytest

from bench.metrics import (
    auroc,
    bootstrap,
    brier,
    ece,
    edit_similarity,
    reliability,
    risk_coverage,
    same_code,
)


def test_auroc_counts_correctly_ordered_pairs() -> None:
    # Pairs (positive, negative): (0.35, 0.1) yes, (0.35, 0.4) no, (0.8, 0.1) yes, (0.8, 0.4) yes.
    assert auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(3 / 4)
    assert auroc([0.9, 0.8, 0.1], [1, 1, 0]) == 1.0
    assert auroc([0.1, 0.2, 0.9], [1, 1, 0]) == 0.0


def test_auroc_ties_count_half_and_one_class_is_undefined() -> None:
    assert auroc([0.5, 0.5], [1, 0]) == 0.5
    # Positive 0.5 ties one negative (1/2) and beats the other (1): (0.5 + 1) / 2.
    assert auroc([0.5, 0.5, 0.2], [1, 0, 0]) == pytest.approx(0.75)
    assert auroc([0.1, 0.9], [1, 1]) is None
    assert auroc([], []) is None


def test_ece_by_hand() -> None:
    # Bin [0.2, 0.3): confidences 0.2, 0.2, accuracy 1/2 -> gap 0.3, weight 2/4.
    # Bin [0.9, 1.0]: confidences 0.9, 1.0 (mean 0.95), accuracy 1 -> gap 0.05, weight 2/4.
    scores, labels = [0.2, 0.2, 0.9, 1.0], [1, 0, 1, 1]
    assert ece(scores, labels) == pytest.approx(0.5 * 0.3 + 0.5 * 0.05)
    bins = reliability(scores, labels)
    assert len(bins) == 10 and sum(b["n"] for b in bins) == 4
    assert bins[2]["accuracy"] == 0.5 and bins[9]["confidence"] == pytest.approx(0.95)
    assert ece([1.0, 0.0], [1, 0]) == 0.0
    assert ece([], []) is None


def test_brier_by_hand() -> None:
    assert brier([0.8, 0.3], [1, 0]) == pytest.approx((0.2**2 + 0.3**2) / 2)
    assert brier([1.0, 0.0], [1, 0]) == 0.0
    assert brier([], []) is None


def test_risk_coverage_by_hand() -> None:
    # Sorted by confidence: labels 1, 1, 0, 1, 0 -> running accuracy 1, 1, 2/3, 3/4, 3/5.
    rc = risk_coverage([0.9, 0.8, 0.7, 0.6, 0.5], [1, 1, 0, 1, 0])
    assert rc["accuracy"] == pytest.approx([1, 1, 2 / 3, 3 / 4, 3 / 5])
    assert rc["coverage"] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    # 50% of 5 -> top 3; 80% -> top 4; 90% -> top 5 (ceil).
    assert rc["at"] == pytest.approx({"50%": 2 / 3, "80%": 3 / 4, "90%": 3 / 5})
    assert rc["aurc"] == pytest.approx(sum(1 - a for a in [1, 1, 2 / 3, 3 / 4, 3 / 5]) / 5)


def test_bootstrap_interval() -> None:
    const = bootstrap([1.0] * 10)
    assert const == {"mean": 1.0, "ci95": [1.0, 1.0]}
    mixed = bootstrap([0, 1] * 50, seed=3)
    assert mixed["mean"] == 0.5
    lo, hi = mixed["ci95"]
    assert 0.35 < lo < 0.5 < hi < 0.65
    assert bootstrap([]) == {"mean": None, "ci95": [None, None]}


def test_text_matching() -> None:
    assert same_code("    return x  \n", "    return x")
    assert not same_code("return x", "    return x")
    assert edit_similarity("abc", "abc") == 1.0
    assert edit_similarity("kitten", "sitting") == pytest.approx(1 - 3 / 7)
    assert edit_similarity("", "x") == 0.0
