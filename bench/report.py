"""Turns the runs of one suite into the report: rankers, syntax, confidence, latency."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ranking import ConfidenceModel, Features

from .calibrate import calibration_report
from .metrics import bootstrap, percentile
from .rankers import ORACLE, per_task
from .tasks import Scored, TaskRun

FIRST_TOKEN = "first_token"


def _mean(xs: Sequence[float]) -> float | None:
    return float(np.mean(xs)) if len(xs) else None


def ranker_table(runs: Sequence[TaskRun], metrics: Sequence[str], seed: int) -> dict:
    """Ranker -> metric -> mean and 95% CI, plus gain over random and share of the oracle gap.

    Gain over random is a paired bootstrap of the per-task difference; the share of the gap
    closed is (ranker - random) / (oracle - random) on the first metric, None when the oracle
    is no better than random.
    """
    table: dict[str, dict] = {}
    for m, metric in enumerate(metrics):
        values = per_task(runs, metric)
        rand = values["random"]
        rand_mean, oracle_mean = _mean(rand), _mean(values[ORACLE])
        for name, vals in values.items():
            entry = table.setdefault(name, {})
            entry[metric] = bootstrap(vals, seed)
            if m or name == ORACLE:
                continue
            entry["gain_over_random"] = bootstrap([a - b for a, b in zip(vals, rand)], seed)
            gap = (oracle_mean or 0.0) - (rand_mean or 0.0)
            mean = entry[metric]["mean"]
            entry["oracle_gap_closed"] = (
                (mean - rand_mean) / gap if gap > 1e-12 and mean is not None else None
            )
    return table


def syntax_table(runs: Sequence[TaskRun]) -> dict:
    """Syntax-valid share of raw samples before and after post-processing, and of those shown."""
    raw = [v for run in runs for v in run.raw_valid]
    post = [v for run in runs for v in run.post_valid]
    kept = [v for v in post if v is not None]
    top = [run.candidates[0].features.syntax_ok for run in runs if run.candidates]
    return {
        "samples": len(raw),
        "valid_before_postprocess": _mean(raw),
        "valid_after_postprocess": _mean(kept),
        "dropped_by_postprocess": _mean([v is None for v in post]),
        "valid_shown": _mean(top),
        "tasks_without_candidates": sum(1 for run in runs if not run.candidates),
    }


def latency_table(runs: Sequence[TaskRun]) -> dict:
    """Request latency percentiles, where the time goes, and decoding speed."""
    ms = [run.latency * 1000 for run in runs]
    gen = sum(run.generate_seconds for run in runs)
    tokens = sum(run.tokens for run in runs)
    # first_token is the prefill part of generate, not a stage of its own.
    stages = [k for k in (runs[0].timings if runs else ()) if k != FIRST_TOKEN]
    first = [run.timings[FIRST_TOKEN] * 1000 for run in runs if FIRST_TOKEN in run.timings]
    return {
        "requests": len(runs),
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "mean_ms": _mean(ms),
        "first_token_p50_ms": percentile(first, 50),
        "stage_mean_ms": {k: _mean([run.timings[k] * 1000 for run in runs]) for k in stages},
        "tokens_generated": tokens,
        "tokens_per_second": tokens / gen if gen > 0 else None,
    }


def suite_report(
    runs: Sequence[TaskRun], metrics: Sequence[str], seed: int, source: str
) -> tuple[dict, ConfidenceModel]:
    """The report of one model suite and the confidence model fitted on its calibration half."""
    confidence, fitted = calibration_report(runs, seed, source)
    return {
        "n_tasks": len(runs),
        "primary_metric": metrics[0],
        "rankers": ranker_table(runs, metrics, seed),
        "syntax": syntax_table(runs),
        "confidence": confidence,
        "latency": latency_table(runs),
    }, fitted


def task_record(run: TaskRun) -> dict:
    """One line of <suite>-tasks.jsonl: the candidates and outcomes of one task."""
    return {
        "task_id": run.task_id,
        "latency_ms": round(run.latency * 1000, 1),
        "first": run.first,
        "greedy": run.greedy,
        "raw_valid": list(run.raw_valid),
        "post_valid": list(run.post_valid),
        "candidates": [
            {
                "text": c.text,
                "correct": c.correct,
                "exact": c.exact,
                "similarity": round(c.similarity, 4),
                "confidence": round(c.confidence, 4),
                "votes": c.votes,
                "greedy": c.greedy,
                "sample_index": c.sample_index,
                # Every feature, so rankers and calibrations can be refitted from the file.
                "features": asdict(c.features),
            }
            for c in run.candidates
        ],
        "tokens": run.tokens,
        "generate_s": round(run.generate_seconds, 4),
        "timings": {k: round(v, 5) for k, v in run.timings.items()},
    }


def run_from_record(record: dict) -> TaskRun:
    """The TaskRun behind one line of <suite>-tasks.jsonl (the inverse of ``task_record``)."""
    cands = tuple(
        Scored(
            text=c["text"],
            confidence=c["confidence"],
            features=Features(**c["features"]),
            sample_index=c.get("sample_index", 0),
            greedy=c["greedy"],
            votes=c["votes"],
            correct=c["correct"],
            exact=c["exact"],
            similarity=c["similarity"],
        )
        for c in record["candidates"]
    )
    return TaskRun(
        task_id=record["task_id"],
        candidates=cands,
        first=record["first"],
        greedy=record["greedy"],
        raw_valid=tuple(record["raw_valid"]),
        post_valid=tuple(record["post_valid"]),
        latency=record["latency_ms"] / 1000,
        generate_seconds=record.get("generate_s", 0.0),
        tokens=record.get("tokens", 0),
        timings=record.get("timings", {}),
    )


def load_runs(path: str | Path) -> list[TaskRun]:
    """Every run of a <suite>-tasks.jsonl file; a malformed file is a ValueError."""
    runs = []
    with Path(path).open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            try:
                runs.append(run_from_record(json.loads(line)))
            except (ValueError, KeyError, TypeError) as e:
                raise ValueError(f"{path}:{n}: not a task record ({e})") from None
    return runs
