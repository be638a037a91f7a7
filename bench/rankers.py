"""The rankers compared side by side: each picks from the same candidates of a task.

A ranker maps a task's run to weights over its candidates: one candidate with weight 1 for the
deterministic ones, the vote shares for ``random`` (the exact expected value of showing a
random sample, so no extra noise), nothing when it has nothing to show. The oracle is not a
ranker: it takes the best candidate for each metric (``oracle_value``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .tasks import Scored, TaskRun

Weights = dict[int, float]
Ranker = Callable[[TaskRun], Weights]


def _lowest(key: Callable[[Scored], object]) -> Ranker:
    """The candidate with the smallest key; ties go to the earlier sample."""

    def pick(run: TaskRun) -> Weights:
        c = run.candidates
        if not c:
            return {}
        return {min(range(len(c)), key=lambda i: (key(c[i]), c[i].sample_index)): 1.0}

    return pick


def _at(index: int | None) -> Weights:
    return {} if index is None else {index: 1.0}


def _random(run: TaskRun) -> Weights:
    total = sum(c.votes for c in run.candidates)
    return {i: c.votes / total for i, c in enumerate(run.candidates)} if total else {}


# Name -> ranker, in the order of the report. "syntax-first" is Cody's rule: fewest parse
# errors, then fewest lines. "ours" is the engine's own order (syntax, then confidence).
RANKERS: dict[str, Ranker] = {
    "first sample": lambda run: _at(run.first),
    "greedy": lambda run: _at(run.greedy),
    "random": _random,
    "sum log-prob": _lowest(lambda c: -c.features.sum_logprob),
    "mean log-prob": _lowest(lambda c: -c.features.mean_logprob),
    "mean entropy": _lowest(lambda c: c.features.mean_entropy),
    "syntax-first": _lowest(lambda c: (max(0, c.features.syntax_delta), c.n_lines)),
    "ours": lambda run: _at(0 if run.candidates else None),
}
ORACLE = "oracle"

# Per-candidate metrics: name -> value in [0, 1].
METRICS: dict[str, Callable[[Scored], float]] = {
    "pass": lambda c: float(c.correct),
    "exact_match": lambda c: float(c.exact),
    "edit_similarity": lambda c: c.similarity,
}


def value(weights: Weights, run: TaskRun, metric: str) -> float:
    """The metric of what a ranker shows (0 when it shows nothing)."""
    get = METRICS[metric]
    return sum(w * get(run.candidates[i]) for i, w in weights.items())


def oracle_value(run: TaskRun, metric: str) -> float:
    """The best the candidates allow: any candidate correct counts."""
    get = METRICS[metric]
    return max((get(c) for c in run.candidates), default=0.0)


def per_task(runs: Sequence[TaskRun], metric: str) -> dict[str, list[float]]:
    """Ranker name (the oracle included) -> the metric on every task."""
    out = {name: [value(r(run), run, metric) for run in runs] for name, r in RANKERS.items()}
    out[ORACLE] = [oracle_value(run, metric) for run in runs]
    return out
