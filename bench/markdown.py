"""The Markdown summary of a benchmark report (rendered from the JSON, so it can be redone)."""

from __future__ import annotations

from .rankers import ORACLE, RANKERS

METRIC_TITLES = {"pass": "pass@1", "exact_match": "exact match", "edit_similarity": "edit sim."}


def pct(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{100 * x:.{digits}f}"


def num(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def with_ci(m: dict, signed: bool = False) -> str:
    if m["mean"] is None:
        return "n/a"
    lo, hi = m["ci95"]
    sign = "+" if signed and m["mean"] >= 0 else ""
    return f"{sign}{pct(m['mean'])} [{pct(lo)}, {pct(hi)}]"


def ranker_rows(suite: dict) -> list[str]:
    rankers, metrics = suite["rankers"], [k for k in METRIC_TITLES if k in suite["rankers"]["ours"]]
    head = [METRIC_TITLES[m] + (" [95% CI]" if i == 0 else "") for i, m in enumerate(metrics)]
    rows = [
        "| ranker | " + " | ".join(head) + " | gain over random [95% CI] | oracle gap closed |",
        "|---" * (len(metrics) + 3) + "|",
    ]
    for name in [*RANKERS, ORACLE]:
        r = rankers[name]
        cells = [with_ci(r[m]) if i == 0 else pct(r[m]["mean"]) for i, m in enumerate(metrics)]
        gain = with_ci(r["gain_over_random"], signed=True) if "gain_over_random" in r else ""
        closed = (
            pct(r.get("oracle_gap_closed"), 0) + "%"
            if r.get("oracle_gap_closed") is not None
            else ""
        )
        shown = f"**{name}**" if name == "ours" else name
        rows.append(f"| {shown} | " + " | ".join(cells) + f" | {gain} | {closed} |")
    return rows


def confidence_rows(conf: dict) -> list[str]:
    rows = [
        "Confidence of the top suggestion: as shown (the engine's calibration, every task); "
        f"and a refit on this suite's calibration half ({conf['calibration_tasks']} tasks) "
        f"against the shown confidence, both on the held-out half ({conf['held_out_tasks']}):",
        "",
        "| confidence | n | accuracy | mean conf. | AUROC | ECE | Brier | acc@50% | acc@80% | acc@90% | AURC |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    series = (
        ("shown", "**shown**, all tasks"),
        ("fitted", "refit here, held-out half"),
        ("priors", "shown, held-out half"),
    )
    for key, title in series:
        if key not in conf:
            continue
        q = conf[key]
        at = q["risk_coverage"]["at"]
        rows.append(
            f"| {title} | {q['n']} | {pct(q['accuracy'])} | {pct(q['mean_confidence'])} | "
            f"{num(q['auroc'])} | {num(q['ece'])} | {num(q['brier'])} | {pct(at.get('50%'))} | "
            f"{pct(at.get('80%'))} | {pct(at.get('90%'))} | {num(q['risk_coverage']['aurc'])} |"
        )
    return rows


def model_suite(name: str, suite: dict) -> list[str]:
    s, lat = suite["syntax"], suite["latency"]
    stages = ", ".join(f"{k} {v:.0f}" for k, v in lat["stage_mean_ms"].items() if v is not None)
    skipped = suite.get("skipped_languages") or {}
    left_out = (
        "Left out (languages the model does not declare): "
        + ", ".join(f"{n} {lang}" for lang, n in sorted(skipped.items()))
        + "."
        if skipped
        else ""
    )
    return [
        f"## {name} ({suite['n_tasks']} tasks)",
        "",
        *([left_out, ""] if left_out else []),
        *ranker_rows(suite),
        "",
        f"Syntax-valid samples (the insertion adds no parse errors): "
        f"{pct(s['valid_before_postprocess'])}% before post-processing, "
        f"{pct(s['valid_after_postprocess'])}% after ({pct(s['dropped_by_postprocess'])}% of "
        f"{s['samples']} samples dropped as empty); shown suggestions {pct(s['valid_shown'])}%; "
        f"{s['tasks_without_candidates']} tasks had no candidate.",
        "",
        *confidence_rows(suite["confidence"]),
        "",
        f"Latency per request: p50 {num(lat['p50_ms'], 0)} ms, p95 {num(lat['p95_ms'], 0)} ms, "
        f"first token p50 {num(lat.get('first_token_p50_ms'), 0)} ms "
        f"(mean ms: {stages}); {num(lat['tokens_per_second'], 0)} tokens/s over "
        f"{lat['tokens_generated']} generated tokens.",
        "",
    ]


def flags_suite(suite: dict) -> list[str]:
    rows = [
        f"## flags ({suite['n_snippets']} labelled snippets)",
        "",
        "| language | positives | negatives | precision | recall | F1 |",
        "|---|---|---|---|---|---|",
    ]
    groups = [*suite["by_language"].items(), ("**all**", suite)]
    for lang, g in groups:
        sn = g["snippet"]
        rows.append(
            f"| {lang} | {g['positives']} | {g['negatives']} | {pct(sn['precision'])} | "
            f"{pct(sn['recall'])} | {pct(sn['f1'])} |"
        )
    rows += [
        "",
        f"Rule level (right rule id): precision {pct(suite['rule']['precision'])}%, "
        f"recall {pct(suite['rule']['recall'])}%.",
        f"Missed: {', '.join(suite['missed']) or 'none'}. "
        f"False alarms: {', '.join(suite['false_alarms']) or 'none'}.",
        "",
    ]
    if variants := suite.get("variants"):  # Python aliases, getattr, values from earlier lines
        sn = variants["snippet"]
        rows += [
            f"Python variants ({variants['n_snippets']}): recall {pct(sn['recall'])}%, "
            f"{sn['fp']} false alarms in {variants['negatives']} look-alikes.",
            "",
        ]
    return rows


def repo_rows(suite: dict) -> list[str]:
    """The repo suite's table: one row per context, gains paired against ``none``."""
    rows = [
        f"## repo ({suite['tasks']} tasks; definitions retrieved for "
        f"{pct(suite['retrieved_share'], 0)}%; repo-on-entropy regenerated "
        f"{pct(suite['regenerated_share'], 0)}%)",
        "",
        "| context | exact match [95% CI] | gain over none [95% CI] | identifier match [95% CI] "
        "| gain over none [95% CI] | latency p50 / p95 / mean ms |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in suite["contexts"].items():
        lat = r["latency_ms"]
        rows.append(
            f"| {name} | {with_ci(r['exact_match'])} | {with_ci(r['exact_gain'], signed=True)} "
            f"| {with_ci(r['identifier_match'])} | {with_ci(r['identifier_gain'], signed=True)} "
            f"| {lat['p50']:.0f} / {lat['p95']:.0f} / {lat['mean']:.0f} |"
        )
    return [*rows, ""]


SUITE_RENDERERS = {"flags": flags_suite, "repo": repo_rows}


def render(report: dict) -> str:
    c = report["config"]
    m = c["model"]
    lines = ["# entropy-complete benchmark", "", f"`{c['command']}`", ""]
    if m is not None:
        lines += [
            f"Model `{m['id']}` ({m['prompt_format']}, {m['device']}/{m['compute_type']}); "
            f"n={c['n']} (greedy included: {c['include_greedy']}), temperature "
            f"{c['temperature']}, top-p {c['top_p']}, top-k {c['top_k']}, seed {c['seed']}, "
            f"limit {c['limit']}; sandbox: {c['sandbox']['isolation']}. Percentages; 95% "
            "bootstrap intervals over tasks.",
            "",
        ]
    for name, suite in report["suites"].items():
        lines += (
            SUITE_RENDERERS[name](suite) if name in SUITE_RENDERERS else model_suite(name, suite)
        )
    return "\n".join(lines)
