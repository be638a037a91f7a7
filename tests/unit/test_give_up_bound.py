"""Giving up early, the bound: the summed log-prob under which no candidate can be shown,
whatever its other inputs (tests/unit/test_give_up_decoding.py: the step callback)."""

from __future__ import annotations

import math
import random

import pytest

from completion.engine import DEFAULT_MODEL_DIR
from ranking.confidence import CONFIDENCE_INPUTS, RANK_INPUTS, ConfidenceModel
from ranking.features import Features

VOCAB = 8192


def random_features(rng: random.Random, total: float) -> Features:
    """A candidate whose log-probs sum to ``total`` and whose other features are anything they
    can be."""
    n = rng.randint(1, 40)
    lps = [total * w for w in _split(rng, n)]
    ents = [rng.uniform(0, math.log(VOCAB)) for _ in range(n)]
    return Features(
        mean_logprob=total / n,
        sum_logprob=total,
        min_logprob=min(lps),
        mean_entropy=sum(ents) / n,
        max_entropy=max(ents),
        tail_entropy=sum(ents[-3:]) / len(ents[-3:]),
        first_entropy=ents[0],
        ended=rng.random() < 0.5,
        emitted_eot=rng.random() < 0.5,
        syntax_delta=rng.choice([-1, 0, 0, 1]),
        agreement=rng.random(),
        vote_share=rng.random(),
        n_tokens=n,
        n_chars=rng.randint(1, 200),
        known_names=rng.random(),
        line_typed=rng.randint(0, 80),
        code_after=rng.random() < 0.5,
    )


def _split(rng: random.Random, n: int) -> list[float]:
    w = [rng.random() + 1e-6 for _ in range(n)]
    return [x / sum(w) for x in w]


def random_model(rng: random.Random) -> ConfidenceModel:
    """A fitted-looking model: any signs, no weight on the unbounded length inputs."""
    bounded = [
        n for n in CONFIDENCE_INPUTS if n not in ("log_chars", "log_tokens", "log_line_typed")
    ]
    weights = {n: rng.uniform(-0.5, 0.5) for n in rng.sample(bounded, 6)}
    weights["rank_score"] = rng.uniform(0.5, 1.5)
    weights["log_share"] = rng.uniform(0.0, 0.5)
    rank = {n: rng.uniform(-0.3, 0.3) for n in RANK_INPUTS}
    rank["sum_logprob"] = rng.uniform(0.5, 1.5)
    return ConfidenceModel(rng.uniform(-1, 1), weights, rank)


@pytest.mark.parametrize("threshold", [0.05, 0.1, 0.3])
def test_no_candidate_below_the_bound_reaches_the_threshold(threshold: float) -> None:
    rng = random.Random(threshold)
    models = [ConfidenceModel.for_model(DEFAULT_MODEL_DIR)] + [random_model(rng) for _ in range(30)]
    checked = 0
    for model in models:
        bound = model.give_up_below(threshold, VOCAB)
        if bound is None:
            continue
        for _ in range(200):
            # A request of 1-4 candidates, all below the bound: none may reach the threshold.
            feats = [
                random_features(rng, bound - rng.expovariate(1.0)) for _ in range(rng.randint(1, 4))
            ]
            assert max(conf for _, conf in model.assess(feats)) < threshold
            checked += 1
    assert checked >= 3000  # most random models have a bound


def test_the_bound_is_tight_for_the_shipped_model() -> None:
    model = ConfidenceModel.for_model(DEFAULT_MODEL_DIR)
    bound = model.give_up_below(0.1, VOCAB)
    assert bound is not None and -4.0 < bound < -1.5
    # Just above the bound, a candidate whose other inputs are at their best (one token, the
    # flattest next-token distribution, ended, valid, every sample agreeing) reaches 0.1.
    lp = bound + 0.01
    best = Features(
        mean_logprob=lp, sum_logprob=lp, min_logprob=lp, mean_entropy=0.0,
        max_entropy=math.log(VOCAB), tail_entropy=0.0, ended=True, emitted_eot=True,
        syntax_delta=0, agreement=1.0, vote_share=1.0, n_tokens=1, known_names=1.0,
    )  # fmt: skip
    assert model.score(best) >= 0.1


def test_no_bound_where_none_can_be_promised() -> None:
    shipped = ConfidenceModel.for_model(DEFAULT_MODEL_DIR)
    assert shipped.give_up_below(0.0, VOCAB) is None  # never abstains
    assert shipped.give_up_below(1.0, VOCAB) is None  # always abstains: nothing to save
    assert ConfidenceModel().give_up_below(0.1, VOCAB) is None  # priors do not weigh the sum
    longer = ConfidenceModel(0.0, {"rank_score": 1.0, "log_chars": 0.2}, {"sum_logprob": 1.0})
    assert longer.give_up_below(0.1, VOCAB) is None  # a long enough text could reach anything
    typed = ConfidenceModel(0.0, {"rank_score": 1.0, "log_line_typed": 0.2}, {"sum_logprob": 1.0})
    assert typed.give_up_below(0.1, VOCAB) is None
    known = typed.give_up_below(0.1, VOCAB, {"log_line_typed": math.log1p(9)})
    assert known == pytest.approx(math.log(0.1 / 0.9) - 0.2 * math.log1p(9))
