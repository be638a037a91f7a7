"""The logistic fit of the confidence model and the held-out evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from bench.calibrate import calibration_report, fit_logistic, halves
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


def scored(correct: bool, lp: float) -> Scored:
    f = Features(lp, lp * 3, -lp, -lp, -lp, True, True, 0, 0.5, 3)
    return Scored("x", 0.5, f, 0, False, 1, correct, correct, 1.0)


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
    assert report["fitted"]["auroc"] > 0.7
    assert model.weights["mean_logprob"] > 0
    model.save(tmp_path / "c.json")
    loaded = ConfidenceModel.load(tmp_path / "c.json")
    assert loaded.weights == model.weights and loaded.bias == model.bias
