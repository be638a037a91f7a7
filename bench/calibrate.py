"""Fits the confidence model on one half of the tasks and measures its quality on the other.

The fit is an L2-regularised logistic regression (Newton / IRLS on standardised features, in
numpy) from a candidate's features to whether it was correct, over every candidate of the
calibration half. The weights are mapped back to raw feature units so that
``ranking.ConfidenceModel`` applies them as they are, and written as JSON that
``ConfidenceModel.load`` reads.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from ranking import FEATURE_NAMES, ConfidenceModel
from ranking.confidence import vector

from .metrics import auroc, brier, ece, reliability, risk_coverage
from .tasks import Scored, TaskRun


def halves(runs: Sequence[TaskRun], seed: int) -> tuple[list[TaskRun], list[TaskRun]]:
    """(calibration, held-out): a seeded split of the tasks into two halves."""
    order = list(runs)
    random.Random(seed + 1).shuffle(order)
    mid = (len(order) + 1) // 2
    return order[:mid], order[mid:]


def fit_logistic(
    x: np.ndarray, y: np.ndarray, l2: float = 1.0, iterations: int = 100
) -> tuple[float, np.ndarray]:
    """(bias, weights) of p = sigmoid(bias + x @ weights), fitted by Newton steps.

    Features are standardised for the fit; constant features get weight 0. The bias has a
    small penalty too, so that a half where every candidate failed still gives a finite model.
    """
    mu = x.mean(axis=0)
    sd = x.std(axis=0)
    live = sd > 1e-12
    z = np.where(live, (x - mu) / np.where(live, sd, 1.0), 0.0)
    a = np.hstack([np.ones((len(z), 1)), z])
    penalty = np.diag([1e-2] + [l2] * z.shape[1])
    w = np.zeros(a.shape[1])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(a @ w, -50, 50)))
        grad = a.T @ (p - y) + penalty @ w
        hess = a.T @ (a * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-9:
            break
    raw = np.where(live, w[1:] / np.where(live, sd, 1.0), 0.0)
    return float(w[0] - raw @ mu), raw


def fit(runs: Sequence[TaskRun], source: str, l2: float = 1.0) -> ConfidenceModel:
    """A ConfidenceModel fitted on every candidate of ``runs`` (label: correct)."""
    cands = [c for run in runs for c in run.candidates]
    if not cands:
        return ConfidenceModel(source=f"{source} (no candidates: default priors)")
    x = np.array([vector(c.features) for c in cands], dtype=np.float64)
    y = np.array([c.correct for c in cands], dtype=np.float64)
    bias, w = fit_logistic(x, y, l2)
    weights = {name: round(float(v), 6) + 0.0 for name, v in zip(FEATURE_NAMES, w)}
    return ConfidenceModel(round(bias, 6), weights, f"{source}, {len(cands)} candidates")


def shown(run: TaskRun, model: ConfidenceModel | None) -> tuple[Scored, float] | None:
    """The top candidate and its confidence when the engine ranks with ``model``.

    With None it is the engine's own order and confidence (what ran); with a fitted model the
    candidates are re-ordered the way ``ranking.rank`` does: syntax-clean first, then score.
    """
    if not run.candidates:
        return None
    if model is None:
        return run.candidates[0], run.candidates[0].confidence
    scored = [(c, model.score(c.features)) for c in run.candidates]
    return min(scored, key=lambda cs: (not cs[0].features.syntax_ok, -cs[1]))


def quality(runs: Sequence[TaskRun], model: ConfidenceModel | None) -> dict:
    """AUROC, ECE, Brier, risk-coverage and accuracy of the shown suggestions of ``runs``."""
    picks = [p for p in (shown(run, model) for run in runs) if p is not None]
    scores = [conf for _, conf in picks]
    labels = [c.correct for c, _ in picks]
    return {
        "n": len(picks),
        "accuracy": float(np.mean(labels)) if labels else None,
        "mean_confidence": float(np.mean(scores)) if scores else None,
        "auroc": auroc(scores, labels),
        "ece": ece(scores, labels),
        "brier": brier(scores, labels),
        "risk_coverage": risk_coverage(scores, labels),
        "reliability": reliability(scores, labels),
    }


def calibration_report(
    runs: Sequence[TaskRun], seed: int, source: str
) -> tuple[dict, ConfidenceModel]:
    """Fit on one half, report the fitted model and the default priors on the other half."""
    cal, held = halves(runs, seed)
    model = fit(cal, source)
    return {
        "calibration_tasks": len(cal),
        "held_out_tasks": len(held),
        "fitted": {"bias": model.bias, "weights": model.weights, **quality(held, model)},
        "priors": quality(held, None),
    }, model
