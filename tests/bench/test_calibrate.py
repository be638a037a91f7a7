"""The logistic fit of the confidence model and the held-out evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from bench.calibrate import calibration_report, fit_conditional_logit, fit_logistic, halves
from bench.tasks import Scored, TaskRun
from ranking import ConfidenceModel, Features


def test_fit_recovers_a_known_logistic_model() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 2)) * [1.0, 3.0] + [0.0, 5.0]
    p = 1 / (1 + np.exp(-(0.5 + 2.0 * x[:, 0] - 0.5 * x[:, 1])))
    y = (rng.random(4000) < p).astype(float)
    bias, w = fit_logistic(x, y, l2=1e-3)
    assert w == pytest.approx([2.0, -0.5], abs=0.15)
    assert bias == pytest.approx(0.5, abs=0.5)


def test_constant_feature_and_one_class_stay_finite() -> None:
    x = np.column_stack([np.arange(10.0), np.ones(10)])
    bias, w = fit_logistic(x, np.zeros(10))
    assert np.isfinite(bias) and w[1] == 0.0


def scored(correct: bool, lp: float, agree: float = 0.5, text: str = "x") -> Scored:
    f = Features(
        mean_logprob=lp,
        sum_logprob=lp * 3,
        mean_entropy=-lp,
        max_entropy=-lp,
        tail_entropy=-lp,
        ended=True,
        emitted_eot=True,
        syntax_delta=0,
        agreement=agree,
        n_tokens=3,
    )
    return Scored(text, 0.5, f, 0, False, 1, correct, correct, 1.0)


def test_conditional_logit_learns_what_separates_candidates_of_one_request() -> None:
    # Within each request the right candidate has the higher first input; the second input is
    # noise that shifts whole requests, which a per-request softmax must ignore.
    rng = np.random.default_rng(2)
    groups = []
    for _ in range(300):
        shift = rng.normal(0, 5)
        x = np.column_stack([rng.normal(size=4), np.full(4, shift)])
        y = np.zeros(4)
        y[int(np.argmax(x[:, 0] + rng.normal(0, 0.3, size=4)))] = 1
        groups.append((x, y))
    groups.append((np.ones((3, 2)), np.ones(3)))  # all right: no information, skipped
    w = fit_conditional_logit(groups, l2=0.1)
    assert w[0] > 1.0 and abs(w[1]) < 1e-6


def test_report_fits_on_one_half_and_writes_a_loadable_model(tmp_path) -> None:
    rng = np.random.default_rng(1)
    runs = []
    for i in range(60):
        lp = float(rng.normal(-1.0, 0.7))
        ok = bool(rng.random() < 1 / (1 + np.exp(-(8 * lp + 8))))
        runs.append(TaskRun(f"t{i}", (scored(ok, lp),), 0, None, (), (), 0.1, 0.1, 3, {}))
    cal, held = halves(runs, seed=0)
    assert (
        len(cal) == 30
        and len(held) == 30
        and not {r.task_id for r in cal} & {r.task_id for r in held}
    )
    report, model = calibration_report(runs, seed=0, source="test")
    assert report["fitted"]["n"] == 30 and report["priors"]["n"] == 30
    assert report["shown"]["n"] == 60
    assert report["fitted"]["auroc"] > 0.7
    assert model.weights["rank_score"] > 0
    model.save(tmp_path / "c.json")
    loaded = ConfidenceModel.load(tmp_path / "c.json")
    assert loaded == model


def test_fitted_confidence_is_calibrated_and_the_ranker_picks_the_right_one() -> None:
    # Two candidates per request: the right one (when any) has the higher log-prob, and a
    # request is more often right the likelier its best candidate. The fit must order by
    # log-prob and say how often the top one is right.
    rng = np.random.default_rng(3)
    runs = []
    for i in range(2000):
        lp_good, lp_bad = float(rng.normal(-0.5, 0.4)), float(rng.normal(-1.8, 0.2))
        ok = bool(rng.random() < 1 / (1 + np.exp(-(6 * lp_good + 2))))
        cands = (scored(False, lp_bad, 0.5, "bad"), scored(ok, lp_good, 0.5, "good"))
        runs.append(TaskRun(f"t{i}", cands, 0, None, (), (), 0.1, 0.1, 3, {}))
    report, model = calibration_report(runs, seed=0, source="test")
    fitted = report["fitted"]
    assert fitted["accuracy"] == pytest.approx(
        np.mean([r.candidates[1].correct for r in halves(runs, 0)[1]])
    )
    assert fitted["ece"] < 0.05 and fitted["auroc"] > 0.75
    assert model.rank_weights["mean_logprob"] > 0


def test_rank_fit_starts_at_the_baseline_and_stays_there_without_evidence() -> None:
    from bench.calibrate import choose_penalty

    prior = np.array([1.0, 0.0])
    only_right = [(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([1.0, 1.0]))] * 5
    assert fit_conditional_logit(only_right, 1.0, prior).tolist() == prior.tolist()
    # Noise features do not move a heavily penalised fit far from the prior.
    rng = np.random.default_rng(4)
    noise = [(rng.normal(size=(4, 2)), np.eye(4)[int(rng.integers(0, 4))]) for _ in range(80)]
    w = fit_conditional_logit(noise, 1000.0, prior)
    assert abs(w[0] - 1.0) < 0.2 and abs(w[1]) < 0.2
    assert choose_penalty(noise, prior) in (1000.0, 100.0, 30.0, 10.0, 3.0)


def test_task_records_round_trip_with_every_feature(tmp_path) -> None:
    import json

    from bench.report import load_runs, task_record

    cands = (scored(True, -0.3, 0.9, "a"), scored(False, -2.0, 0.1, "b"))
    run = TaskRun("t0", cands, 0, 1, (True, False), (True, None), 0.2, 0.1, 7, {"rank": 0.01})
    path = tmp_path / "runs.jsonl"
    path.write_text(json.dumps(task_record(run)) + "\n")
    (back,) = load_runs(path)
    assert back.candidates == run.candidates and back.task_id == "t0" and back.tokens == 7
    path.write_text('{"task_id": 1}\n')
    with pytest.raises(ValueError, match="not a task record"):
        load_runs(path)
