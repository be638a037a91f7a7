"""The rankers and the oracle on hand-made candidates."""

from __future__ import annotations

import pytest

from bench.rankers import ORACLE, RANKERS, per_task
from bench.tasks import Scored, TaskRun
from ranking import Features


def cand(text, *, mean_lp, sum_lp, ent, delta=0, correct=False, votes=1, index=0, greedy=False):
    f = Features(
        mean_logprob=mean_lp,
        sum_logprob=sum_lp,
        mean_entropy=ent,
        max_entropy=ent,
        tail_entropy=ent,
        ended=True,
        emitted_eot=True,
        syntax_delta=delta,
        agreement=0.5,
        n_tokens=3,
    )
    return Scored(text, 0.5, f, index, greedy, votes, correct, correct, 1.0 if correct else 0.2)


def run(*cands, first=None, greedy=None) -> TaskRun:
    n = sum(c.votes for c in cands)
    return TaskRun("t", tuple(cands), first, greedy, (True,) * n, (True,) * n, 0.1, 0.1, 10, {})


RUN = run(
    cand("a", mean_lp=-2.0, sum_lp=-2.0, ent=1.0, index=0, greedy=True),  # engine's top
    cand("b\nc", mean_lp=-0.5, sum_lp=-5.0, ent=2.0, correct=True, votes=2, index=1),
    cand("d", mean_lp=-1.0, sum_lp=-1.0, ent=0.2, delta=1, index=3),
    first=1,
    greedy=0,
)


def test_each_ranker_picks_what_its_rule_says() -> None:
    picks = {name: r(RUN) for name, r in RANKERS.items()}
    assert picks["first sample"] == {1: 1.0}
    assert picks["greedy"] == {0: 1.0}
    assert picks["random"] == pytest.approx({0: 0.25, 1: 0.5, 2: 0.25})
    assert picks["sum log-prob"] == {2: 1.0}
    assert picks["mean log-prob"] == {1: 1.0}
    assert picks["mean entropy"] == {2: 1.0}
    assert picks["syntax-first"] == {0: 1.0}  # "d" breaks syntax; "a" has fewer lines than "b\nc"
    assert picks["ours"] == {0: 1.0}


def test_values_oracle_and_empty_runs() -> None:
    empty = run()
    values = per_task([RUN, empty], "pass")
    assert values["random"] == [0.5, 0.0]
    assert values["mean log-prob"] == [1.0, 0.0]
    assert values[ORACLE] == [1.0, 0.0]
    for name, vals in values.items():
        assert all(v <= o for v, o in zip(vals, values[ORACLE])), name
    sim = per_task([RUN], "edit_similarity")
    assert sim[ORACLE] == [1.0] and sim["ours"] == [0.2]
