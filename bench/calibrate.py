"""Fits the ranking score and the confidence on benchmark runs, and measures how well they hold.

Two fits over the candidates of ``runs`` (label: correct), both in numpy:

- the rank score: a conditional logit (Newton steps on the softmax over each request's
  candidates; only requests with both right and wrong candidates teach it anything);
- the confidence: an L2-regularised logistic regression (Newton / IRLS) over every candidate,
  on the rank score, the candidate's log softmax share and the other features.

Features are standardised for the fits and the weights mapped back to raw units, so
``ranking.ConfidenceModel`` applies them as they are.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from ranking import ConfidenceModel
from ranking.confidence import RANK_INPUTS, RANK_PRIOR, vector

from .metrics import auroc, brier, ece, reliability, risk_coverage
from .tasks import Scored, TaskRun


def halves(runs: Sequence[TaskRun], seed: int) -> tuple[list[TaskRun], list[TaskRun]]:
    """(calibration, held-out): a seeded split of the tasks into two halves."""
    order = list(runs)
    random.Random(seed + 1).shuffle(order)
    mid = (len(order) + 1) // 2
    return order[:mid], order[mid:]


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    mu = x.mean(axis=0)
    sd = x.std(axis=0)
    live = sd > 1e-12
    z = np.where(live, (x - mu) / np.where(live, sd, 1.0), 0.0)
    return z, mu, np.where(live, sd, 1.0), live


def fit_logistic(
    x: np.ndarray, y: np.ndarray, l2: float = 1.0, iterations: int = 100
) -> tuple[float, np.ndarray]:
    """(bias, weights) of p = sigmoid(bias + x @ weights), fitted by Newton steps.

    Features are standardised for the fit; constant features get weight 0. The bias has a
    small penalty too, so that a half where every candidate failed still gives a finite model.
    """
    z, mu, sd, live = _standardise(x)
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
    raw = np.where(live, w[1:] / sd, 0.0)
    return float(w[0] - raw @ mu), raw


def fit_conditional_logit(
    groups: Sequence[tuple[np.ndarray, np.ndarray]],
    l2: float = 1.0,
    prior: np.ndarray | None = None,
    iterations: int = 50,
) -> np.ndarray:
    """Weights w maximising sum over groups of log(sum of softmax(x @ w) over the right rows),
    minus ``l2/2 * |w - prior|^2`` in standardised units (the fit starts at ``prior``, raw
    units, and moves only as far as the data pays for).

    Each group is one request: its candidates' inputs and 0/1 labels. Groups that are all right
    or all wrong carry no information about the order and are skipped.
    """
    d = groups[0][0].shape[1] if groups else 0
    base = np.zeros(d) if prior is None else np.asarray(prior, dtype=np.float64)
    mixed = [(x, y) for x, y in groups if 0 < y.sum() < len(y)]
    if not mixed:
        return base.copy()
    _, mu, sd, live = _standardise(np.vstack([x for x, _ in mixed]))
    zs = [(np.where(live, (x - mu) / sd, 0.0), y.astype(bool)) for x, y in mixed]
    w0 = np.where(live, base * sd, 0.0)

    def loss_grad_hess(w: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        loss, grad, hess = 0.5 * l2 * (w - w0) @ (w - w0), l2 * (w - w0), l2 * np.eye(d)
        for z, y in zs:
            s = z @ w
            s = s - s.max()
            p = np.exp(s) / np.exp(s).sum()
            right = p[y].sum()
            loss -= np.log(right)
            r = np.where(y, p / right, 0.0)
            grad += z.T @ (p - r)
            hess += z.T @ ((np.diag(p) - np.outer(p, p)) @ z)
        return float(loss), grad, hess

    w = w0.copy()
    loss, grad, hess = loss_grad_hess(w)
    for _ in range(iterations):
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-4:  # backtracking: the objective is not convex with several right rows
            cand = w - t * step
            new = loss_grad_hess(cand)
            if new[0] <= loss:
                break
            t /= 2
        else:
            break
        w, (loss, grad, hess) = cand, new
        if np.max(np.abs(t * step)) < 1e-7:
            break
    return np.where(live, w / sd, base)


# Penalties tried for the rank score, strongest first: cross-validation picks the one whose
# top-1 accuracy is best, and on a tie the stronger one (closer to the baseline).
RANK_PENALTIES = (1000.0, 100.0, 30.0, 10.0, 3.0)


def _top1(groups: Sequence[tuple[np.ndarray, np.ndarray]], w: np.ndarray) -> float:
    return float(sum(y[int(np.argmax(x @ w))] for x, y in groups))


def choose_penalty(
    groups: Sequence[tuple[np.ndarray, np.ndarray]], prior: np.ndarray, folds: int = 5
) -> float:
    """The rank penalty with the most right top-1 picks over ``folds`` held-out folds."""
    best, best_hits = RANK_PENALTIES[0], -1.0
    for l2 in RANK_PENALTIES:
        hits = 0.0
        for k in range(folds):
            train = [g for i, g in enumerate(groups) if i % folds != k]
            test = [g for i, g in enumerate(groups) if i % folds == k]
            hits += _top1(test, fit_conditional_logit(train, l2, prior))
        if hits > best_hits + 1e-9:
            best, best_hits = l2, hits
    return best


# What the shown confidence is fitted on: Platt scaling of the rank score and the candidate's
# softmax share of its request. More inputs (entropy, agreement, context: how much of the line
# is typed) fit the calibration data better but did not carry over to other code: fitted on
# held-out stdlib lines with release 2, HumanEval AUROC fell from 0.80 to 0.75 and its ECE rose
# from 0.03 to 0.07 with the context inputs; every other addition also lowered its AUROC.
CONFIDENCE_FIT: tuple[str, ...] = ("rank_score", "log_share")


def fit(runs: Sequence[TaskRun], source: str, l2: float = 1.0) -> ConfidenceModel:
    """A rank score fitted on every candidate of ``runs`` (label: correct), and the confidence
    fitted on the candidate each request shows first: the number users read."""
    runs = [r for r in runs if r.candidates]
    if not runs:
        return ConfidenceModel(source=f"{source} (no candidates: default priors)")
    groups = [
        (
            np.array([vector(c.features, RANK_INPUTS) for c in r.candidates], dtype=np.float64),
            np.array([c.correct for c in r.candidates], dtype=np.float64),
        )
        for r in runs
    ]
    prior = np.array([RANK_PRIOR.get(n, 0.0) for n in RANK_INPUTS])
    w_rank = fit_conditional_logit(groups, choose_penalty(groups, prior), prior)
    rank_weights = {n: round(float(v), 6) + 0.0 for n, v in zip(RANK_INPUTS, w_rank, strict=True)}
    ranker = ConfidenceModel(rank_weights=rank_weights)
    rows, labels = [], []
    others = [n for n in CONFIDENCE_FIT if n not in ("rank_score", "log_share")]
    for (x, y), r in zip(groups, runs, strict=True):
        s = x @ w_rank
        share = s - (np.log(np.exp(s - s.max()).sum()) + s.max())
        # The order ranking.rank shows: syntax-clean first, then the rank score.
        k = min(range(len(s)), key=lambda i: (not r.candidates[i].features.syntax_ok, -s[i]))
        rows.append([s[k], share[k], *vector(r.candidates[k].features, others)])
        labels.append(y[k])
    bias, w = fit_logistic(np.array(rows), np.array(labels), 0.1 * l2)
    names = ("rank_score", "log_share", *others)  # CONFIDENCE_FIT, derived inputs first
    weights = {n: round(float(v), 6) + 0.0 for n, v in zip(names, w, strict=True)}
    n_cands = sum(len(r.candidates) for r in runs)
    return ConfidenceModel(
        round(bias, 6), weights, ranker.rank_weights, f"{source}, {n_cands} candidates"
    )


def shown(run: TaskRun, model: ConfidenceModel | None) -> tuple[Scored, float] | None:
    """The top candidate and its confidence when the engine ranks with ``model``.

    With None it is the engine's own order and confidence (what ran); with a fitted model the
    candidates are re-ordered the way ``ranking.rank`` does: syntax-clean first, then score.
    """
    if not run.candidates:
        return None
    if model is None:
        return run.candidates[0], run.candidates[0].confidence
    assessed = model.assess([c.features for c in run.candidates])
    best = min(
        range(len(run.candidates)),
        key=lambda i: (not run.candidates[i].features.syntax_ok, -assessed[i][0]),
    )
    return run.candidates[best], assessed[best][1]


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
    """The shown confidence on every task, and a refit on one half judged on the other.

    ``shown`` is what users see (the engine's own calibration, e.g. the model's shipped
    ``confidence.json``); ``fitted``/``priors`` compare a fit on this suite's calibration
    half with the engine's confidence on the held-out half.
    """
    cal, held = halves(runs, seed)
    model = fit(cal, source)
    return {
        "calibration_tasks": len(cal),
        "held_out_tasks": len(held),
        "shown": quality(runs, None),
        "fitted": {
            "bias": model.bias,
            "weights": model.weights,
            "rank_weights": model.rank_weights,
            **quality(held, model),
        },
        "priors": quality(held, None),
    }, model
