"""Turns the telemetry log into numbers: acceptance by confidence bucket, latency percentiles,
review-flag counts."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .telemetry import rotated

# Deciles of the shown confidence: acceptance in each says whether the confidence holds for
# this user (a calibrated 0.8 is accepted about 8 times in 10, if a right answer is accepted).
BUCKETS = tuple(k / 10 for k in range(11))
STAGES = ("waited", "total", "prompt", "prefill", "decode", "entropy", "postprocess", "rank")


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    """Events of the rotated file, then the current one; unreadable lines are skipped."""
    for p in (rotated(path), path):
        if not p.exists():
            continue
        with p.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if isinstance(event, dict):
                    yield event


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _conf(event: dict[str, Any]) -> float:
    try:
        value = float(event.get("confidence", 0))
    except (TypeError, ValueError):
        return 0.0
    return min(1.0, max(0.0, value)) if math.isfinite(value) else 0.0


def bucket_of(confidence: float) -> int:
    for i in range(len(BUCKETS) - 1):
        if confidence < BUCKETS[i + 1]:
            return i
    return len(BUCKETS) - 2


def summarise(events: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The report as a JSON-able dict."""
    shown: dict[str, dict[str, Any]] = {}
    accepted: set[str] = set()
    reviewed = 0
    requests: dict[str, dict[str, float]] = {}
    abstained = stopped_early = 0
    ahead: set[str] = set()  # requests the server had started before the editor asked
    models: Counter[str] = Counter()
    for e in events:
        kind = e.get("event")
        if kind in ("shown", "abstain"):
            requests.setdefault(str(e.get("request")), e.get("latency_ms") or {})
            models[str(e.get("model"))] += kind == "shown"
            if e.get("started_before_asked"):
                ahead.add(str(e.get("request")))
        if kind == "shown":
            shown[str(e.get("id"))] = e
        elif kind == "abstain":
            abstained += 1
            stopped_early += bool(e.get("gave_up_at"))
        elif kind == "accept":
            accepted.add(str(e.get("id")))
        elif kind == "reviewed":
            reviewed += 1
    buckets: list[dict[str, Any]] = []
    gap = 0.0  # how far acceptance is from the confidence, weighted by how often shown
    for i in range(len(BUCKETS) - 1):
        ids = [k for k, e in shown.items() if bucket_of(_conf(e)) == i]
        acc = sum(1 for k in ids if k in accepted)
        if ids:
            mean_conf = sum(_conf(shown[k]) for k in ids) / len(ids)
            gap += len(ids) * abs(acc / len(ids) - mean_conf) / len(shown)
        buckets.append(
            {
                "range": f"{BUCKETS[i]:.1f}-{BUCKETS[i + 1]:.1f}",
                "shown": len(ids),
                "accepted": acc,
                "rate": acc / len(ids) if ids else None,
                "mean_confidence": sum(_conf(shown[k]) for k in ids) / len(ids) if ids else None,
            }
        )
    latency = {}
    for stage in STAGES:
        values = [float(t[stage]) for t in requests.values() if stage in t]
        if values:
            latency[stage] = {
                "p50": percentile(values, 50),
                "p95": percentile(values, 95),
                "p99": percentile(values, 99),
            }
    flags: dict[str, dict[str, int]] = {}
    for k, e in shown.items():
        for f in e.get("flags") or []:
            row = flags.setdefault(str(f.get("rule")), {"shown": 0, "review": 0, "accepted": 0})
            row["shown"] += 1
            row["review"] += bool(f.get("review_required"))
            row["accepted"] += k in accepted
    n_shown, n_acc = len(shown), len(accepted & shown.keys())
    return {
        "requests": len(requests),
        "abstained": abstained,
        "stopped_early": stopped_early,
        "started_before_asked": len(ahead),
        "shown": n_shown,
        "accepted": n_acc,
        "acceptance_rate": n_acc / n_shown if n_shown else None,
        "by_confidence": buckets,
        "calibration_gap": gap if shown else None,
        "latency_ms": latency,
        "flags": flags,
        "reviewed": reviewed,
        "models": dict(models),
    }


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


def format_text(r: dict[str, Any], path: Path) -> str:
    lines = [
        f"telemetry: {path}",
        f"requests {r['requests']} (abstained {r['abstained']}, {r['stopped_early']} of them "
        f"stopped early; {r.get('started_before_asked', 0)} started before asked), "
        f"suggestions shown {r['shown']}, "
        f"accepted {r['accepted']} ({_pct(r['acceptance_rate'])})",
        "",
        "acceptance by confidence (calibrated: the rate is close to the mean confidence)",
        f"  {'confidence':<10}  {'shown':>6}  {'accepted':>8}  {'rate':>5}  {'mean conf':>9}",
    ]
    for b in r["by_confidence"]:
        if not b["shown"]:
            continue
        lines.append(
            f"  {b['range']:<10}  {b['shown']:>6}  {b['accepted']:>8}  {_pct(b['rate']):>5}  "
            f"{_pct(b['mean_confidence']):>9}"
        )
    if r.get("calibration_gap") is not None:
        lines.append(f"  gap between acceptance and confidence (ECE): {r['calibration_gap']:.3f}")
    lines += [
        "",
        "latency per request (ms)",
        f"  {'stage':<12}  {'p50':>8}  {'p95':>8}  {'p99':>8}",
    ]
    for stage, p in r["latency_ms"].items():
        lines.append(f"  {stage:<12}  {p['p50']:>8.1f}  {p['p95']:>8.1f}  {p['p99']:>8.1f}")
    lines += ["", "review flags"]
    if not r["flags"]:
        lines.append("  none")
    else:
        lines.append(f"  {'rule':<28}  {'shown':>6}  {'review':>6}  {'accepted':>8}")
        for rule, c in sorted(r["flags"].items(), key=lambda kv: -kv[1]["shown"]):
            lines.append(f"  {rule:<28}  {c['shown']:>6}  {c['review']:>6}  {c['accepted']:>8}")
    lines.append(f"  marked as reviewed: {r['reviewed']}")
    return "\n".join(lines)
