"""`bench --suite repo`: lines that use cross-file names, completed with four contexts side by
side on the same tasks and seeds, scored by exact and identifier match, with latency.

- ``none``: the file alone;
- ``open-files``: plus the most similar windows of the task's open files (neighbouring tabs);
- ``repo``: the definitions retrieved from the workspace index instead, placed as the
  engine's prompt format wants them (``Retrieved.apply``); open-files when nothing resolves;
- ``repo-on-entropy``: ``open-files`` first, then ``repo`` only when the grounding rule finds
  the first answer unsure: the server's automatic path. Its quality and latency are composed
  from the two runs above (same prompt and seed give the same samples), its latency is the
  open-files run plus retrieval plus the repo run when it regenerated.
"""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

from completion import CompletionRequest, SamplingPolicy
from completion.fim import ends_with_prefix
from completion.workspace import WorkspaceIndex, retrieve
from completion.workspace.neighbours import Neighbour, NeighbourIndex
from ranking import ConfidenceModel, RankOptions
from ranking.grounded import GroundingRule, top_text
from ranking.suggest import Outcome, suggest

from .metrics import bootstrap, percentile, same_code
from .repo import RepoTask, repo_tasks
from .runner import sampling_policy, task_seed

CONTEXTS = ("none", "open-files", "repo", "repo-on-entropy")
_LEAD = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)")
_TYPED = re.compile(r"[A-Za-z0-9_]*$")


def identifier_match(typed: str, candidate: str | None, name: str) -> bool:
    """What was typed of the name plus the candidate starts with the whole name."""
    m = _LEAD.match(typed + (candidate or ""))
    return m is not None and m.group(1) == name


def _score(outcome: Outcome, t: RepoTask) -> tuple[bool, bool, str]:
    top = top_text(outcome)
    task = t.task
    typed = _TYPED.search(task.text, 0, task.offset)
    head = typed.group(0) if typed else ""
    return same_code(top or "", task.target), identifier_match(head, top, t.name), top or ""


def run_task(
    engine, t: RepoTask, index: WorkspaceIndex, policy: SamplingPolicy, model, rule, max_chars,
    placement: str = "auto",
) -> dict:  # fmt: skip
    """The four contexts for one task: per context exact, identifier, seconds."""
    task = t.task
    request = CompletionRequest(
        task.text,
        task.offset,
        None,
        task.path,
        replace(policy, seed=task_seed(policy.seed, task.id)),
    )
    rank = RankOptions(top_k=policy.n)

    def run(req: CompletionRequest) -> tuple[Outcome, float]:
        t0 = time.perf_counter()
        out = suggest(engine, req, options=rank, model=model)
        return out, time.perf_counter() - t0

    others = []
    for rel in t.open_files:
        text = (index.root / rel).read_text(encoding="utf-8", errors="replace")
        others.append(Neighbour(rel, 0, rel, text))
    tabs = tuple(s.as_context() for s in NeighbourIndex().snippets(task.text, task.offset, others))
    t0 = time.perf_counter()
    found = retrieve(index, task.text, task.offset, task.path, "python", max_chars=max_chars)
    retrieve_s = time.perf_counter() - t0
    with_tabs = replace(request, context_snippets=tabs)
    inline = (
        ends_with_prefix(engine.prompt_template) if placement == "auto" else placement == "line"
    )
    grounded = found.apply(with_tabs, inline=inline)
    none, none_s = run(request)
    tabs_out, tabs_s = (none, none_s) if not tabs else run(with_tabs)
    repo_out, repo_s = (tabs_out, tabs_s) if grounded is None else run(grounded)
    unsure = rule.unsure(tabs_out.ranking)
    regenerated = unsure and grounded is not None
    entropy_out = repo_out if regenerated else tabs_out
    entropy_s = tabs_s + (retrieve_s if unsure else 0.0) + (repo_s if regenerated else 0.0)
    row: dict = {"id": task.id, "name": t.name, "target": task.target}
    row["retrieved"] = len(found.found)
    row["regenerated"] = regenerated
    # What the grounding rule saw (to study thresholds on a development repository).
    scored = tabs_out.ranking.all_scored
    row["cheap_confidence"] = tabs_out.ranking.best_confidence
    row["cheap_first_entropy"] = scored[0].features.first_entropy if scored else None
    for name, out, secs in (
        ("none", none, none_s),
        ("open-files", tabs_out, tabs_s),
        ("repo", repo_out, repo_s + retrieve_s),
        ("repo-on-entropy", entropy_out, entropy_s),
    ):
        exact, ident, top = _score(out, t)
        row[name] = {"exact": exact, "identifier": ident, "seconds": secs, "top": top}
    return row


def run_repo_suite(
    cfg, engine, model: ConfidenceModel, out: Path, *, rule: GroundingRule | None = None
) -> dict:
    """Runs the suite on ``cfg.lines_path`` and writes ``repo-tasks.jsonl``; returns the report."""
    from tqdm import tqdm

    if not cfg.lines_path:
        raise ValueError("the repo suite needs a repository: --path DIR")
    rule = rule or GroundingRule()
    t0 = time.perf_counter()
    index = WorkspaceIndex(cfg.lines_path)
    stats = index.build()
    tasks = repo_tasks(cfg.lines_path, cfg.limit, cfg.seed, index, cfg.repo_typed)
    if not tasks:
        raise ValueError(f"no line under {cfg.lines_path} uses a name from another of its files")
    policy = sampling_policy(cfg, 48)
    rows = []
    bar = tqdm(
        total=len(tasks), desc="repo", unit="task", disable=not cfg.progress, file=sys.stderr
    )
    with bar, (out / "repo-tasks.jsonl").open("w", encoding="utf-8") as log:
        for t in tasks:
            row = run_task(
                engine, t, index, policy, model, rule, cfg.grounding_chars, cfg.grounding_placement
            )
            rows.append(row)
            log.write(json.dumps(row) + "\n")
            bar.update()
    return repo_report(rows, cfg.seed, stats, time.perf_counter() - t0)


def repo_report(rows: list[dict], seed: int, stats, seconds: float) -> dict:
    """Per context: exact and identifier match, their gain over ``none`` (paired), latency."""
    report: dict = {
        "tasks": len(rows),
        "retrieved_share": sum(r["retrieved"] > 0 for r in rows) / len(rows),
        "regenerated_share": sum(r["regenerated"] for r in rows) / len(rows),
        "index": {"files": stats.files, "definitions": stats.definitions, "bytes": stats.bytes},
        "seconds": round(seconds, 1),
        "contexts": {},
    }
    for c in CONTEXTS:
        exact = [float(r[c]["exact"]) for r in rows]
        ident = [float(r[c]["identifier"]) for r in rows]
        ms = [1000 * r[c]["seconds"] for r in rows]
        report["contexts"][c] = {
            "exact_match": bootstrap(exact, seed),
            "identifier_match": bootstrap(ident, seed),
            "exact_gain": bootstrap(
                [a - float(r["none"]["exact"]) for a, r in zip(exact, rows)], seed
            ),
            "identifier_gain": bootstrap(
                [a - float(r["none"]["identifier"]) for a, r in zip(ident, rows)], seed
            ),
            "latency_ms": {
                "p50": percentile(ms, 50),
                "p95": percentile(ms, 95),
                "mean": sum(ms) / len(ms),
            },
        }
    return report
