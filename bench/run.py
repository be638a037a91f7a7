"""Runs the chosen suites and writes report.json, report.md, per-task JSONL, fitted models, plots."""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from completion.fim import format_of
from completion.remote import RemoteSettings
from ranking import ConfidenceModel

from .flags import flags_report
from .humaneval import humaneval_tasks
from .lines import line_tasks
from .markdown import render
from .plots import reliability_plot, risk_coverage_plot
from .repo_suite import run_repo_suite
from .report import suite_report, task_record
from .runner import Runner, sampling_policy, select
from .sandbox import Sandbox
from .suites import ENGINE_SUITES, REPO_SUITE, SUITES
from .tasks import Task


@dataclass(frozen=True, slots=True)
class BenchConfig:
    """What to run and how; every field has the default the command line shows."""

    suites: tuple[str, ...] = ("humaneval-single",)
    limit: int | None = 40
    n: int = 4
    temperature: float = 0.4
    top_p: float = 0.95
    top_k: int = 50
    include_greedy: bool = True
    max_new_tokens: int | None = None  # None: the suite's default
    prompt_tokens: int = 0  # 0: the model's whole window
    seed: int = 0
    model: str | None = None  # CTranslate2 model directory; None: the shipped model
    device: str = "auto"
    compute_type: str = "auto"
    threads: int = 1
    prompt_format: str = "auto"  # "auto" (the model's own choice), "fim", "spm" or "prefix"
    remote: RemoteSettings | None = None  # an OpenAI-compatible server instead of CTranslate2
    lines_path: str | None = None
    lines_hole: str = "rest"  # the lines suite's hole: "rest" of the line or a "span" inside it
    grounding_chars: int = 1200  # the repo suite: characters of retrieved definitions at most
    repo_typed: int = 2  # the repo suite: characters of the cross-file name typed at the cursor
    # The repo suite: where retrieved definitions go ("auto": as the server puts them; "line":
    # hint comments above the cursor's line; "head": file blocks before the prefix).
    grounding_placement: str = "auto"
    placement: str = "official"  # HumanEval holes: "official" (line + newline) or "editor"
    confidence: str | None = None  # fitted ConfidenceModel JSON for the engine to rank with
    timeout: float = 5.0
    unsafe_exec: bool = False  # run candidates even where the sandbox cannot isolate them
    out: Path = Path("bench-results")
    progress: bool = True
    command: str = "entropy-complete bench"


@dataclass(frozen=True, slots=True)
class ModelSuite:
    """A suite that runs the model: where its tasks come from and how they are scored."""

    tasks: Callable[[BenchConfig], list[Task]]
    metrics: tuple[str, ...]  # the first one is the headline metric
    max_new_tokens: int
    executes: bool  # runs generated code in the sandbox


MODEL_SUITES: dict[str, ModelSuite] = {
    "humaneval-single": ModelSuite(
        lambda c: select(humaneval_tasks("single", c.placement), c.limit, c.seed),
        ("pass", "exact_match", "edit_similarity"),
        48,
        True,
    ),
    "humaneval-multi": ModelSuite(
        lambda c: select(humaneval_tasks("multi", c.placement), c.limit, c.seed),
        ("pass", "exact_match", "edit_similarity"),
        128,
        True,
    ),
    "lines": ModelSuite(
        lambda c: line_tasks(_lines_path(c), c.limit, c.seed, c.lines_hole),
        ("exact_match", "edit_similarity"),
        48,
        False,
    ),
}
STATIC_SUITES: dict[str, Callable[[BenchConfig], dict]] = {
    "flags": lambda c: flags_report(c.limit, c.seed),
}
# bench/suites.py names the suites for the command line; these tables say what each runs
# (tests/bench/test_bench_run.py checks that the two agree).


def _lines_path(c: BenchConfig) -> str:
    if not c.lines_path:
        raise ValueError("the lines suite needs a repository: --path DIR")
    return c.lines_path


def _model_config(engine) -> dict:
    info, used = engine.info, engine.prompt_template
    layout = "suffix, prefix, middle" if used and used.order == "spm" else "prefix, suffix, middle"
    return {
        "id": info.model_id,
        "path": info.path,
        "family": info.family,
        "prompt_format": f"fill-in-the-middle ({layout})" if used else "prefix only",
        "device": info.device,
        "compute_type": info.compute_type,
        "context_tokens": info.context_tokens,
    }


def _config(cfg: BenchConfig, engine, sandbox: Sandbox | None, ranker: ConfidenceModel) -> dict:
    import ctranslate2

    return {
        "command": cfg.command,
        "suites": list(cfg.suites),
        "model": _model_config(engine) if engine else None,
        "n": cfg.n,
        "include_greedy": cfg.include_greedy,
        "temperature": cfg.temperature,
        "top_p": cfg.top_p,
        "top_k": cfg.top_k,
        "max_new_tokens": {
            s: cfg.max_new_tokens or MODEL_SUITES[s].max_new_tokens
            for s in cfg.suites
            if s in MODEL_SUITES
        },
        "prompt_tokens": cfg.prompt_tokens,
        "seed": cfg.seed,
        "limit": cfg.limit,
        "humaneval_placement": cfg.placement,
        "lines_hole": cfg.lines_hole,
        "ranking_confidence": ranker.source,
        "sandbox": {
            "isolation": sandbox.isolation if sandbox else "not used",
            "timeout_s": cfg.timeout,
            "memory_mb": sandbox.memory_mb if sandbox else None,
        },
        "bootstrap_rounds": 2000,
        "versions": {"python": platform.python_version(), "ctranslate2": ctranslate2.__version__},
    }


def _known_languages(tasks: list[Task], engine) -> tuple[list[Task], dict[str, int]]:
    """The tasks in languages the model declares, and how many were left out, by language
    (a Python-only model is not asked to complete TypeScript: it would refuse)."""
    from grammars import language_for

    known = engine.info.languages
    if known is None:
        return tasks, {}
    kept: list[Task] = []
    skipped: dict[str, int] = {}
    for t in tasks:
        spec = language_for(None, t.path)
        lang = spec.name if spec else "unknown"
        if lang in known:
            kept.append(t)
        else:
            skipped[lang] = skipped.get(lang, 0) + 1
    return kept, skipped


def _run_model_suite(name, spec, cfg, engine, sandbox, ranker, out: Path) -> dict:
    from tqdm import tqdm

    tasks, skipped = _known_languages(spec.tasks(cfg), engine)
    policy = sampling_policy(cfg, spec.max_new_tokens)
    runner = Runner(engine, policy, sandbox if spec.executes else None, ranker)
    runs, hits = [], 0
    bar = tqdm(total=len(tasks), desc=name, unit="task", disable=not cfg.progress, file=sys.stderr)
    with bar, (out / f"{name}-tasks.jsonl").open("w", encoding="utf-8") as log:
        for task in tasks:
            run = runner.run(task)
            runs.append(run)
            log.write(json.dumps(task_record(run)) + "\n")
            hits += bool(run.candidates) and run.candidates[0].correct
            bar.set_postfix(ours=f"{hits / len(runs):.2f}", refresh=False)
            bar.update()
    source = f"bench {name}, model {engine.info.model_id}, seed {cfg.seed}"
    report, fitted = suite_report(runs, spec.metrics, cfg.seed, source)
    report["skipped_languages"] = skipped
    fitted.save(out / f"{name}-confidence.json")
    title = f"{name}, model {engine.info.model_id}, {len(runs)} tasks"
    reliability_plot(report["confidence"], title, out / f"{name}-reliability.png")
    risk_coverage_plot(report["confidence"], title, out / f"{name}-risk-coverage.png")
    return report


def run_bench(cfg: BenchConfig) -> dict:
    """Runs every suite in ``cfg`` and writes the report files into ``cfg.out``.

    Returns:
        The report: ``{"config": ..., "suites": {suite: ...}}`` as written to report.json.
    """
    unknown = [s for s in cfg.suites if s not in SUITES]
    if unknown:
        raise ValueError(f"unknown suite(s) {unknown}; choose from {list(SUITES)}")
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    engine = sandbox = None
    ranker = ConfidenceModel.load(cfg.confidence) if cfg.confidence else ConfidenceModel()
    if any(s in ENGINE_SUITES for s in cfg.suites):
        from completion.remote import open_engine

        engine = open_engine(
            cfg.model,
            device=cfg.device,
            compute_type=cfg.compute_type,
            threads=cfg.threads,
            prompt_format=cfg.prompt_format,
            remote=cfg.remote,
            repeatable=True,
        )
        if not cfg.confidence:
            ranker = ConfidenceModel.for_model(engine.info.path, format_of(engine.prompt_template))
    if any(s in MODEL_SUITES and MODEL_SUITES[s].executes for s in cfg.suites):
        sandbox = Sandbox(timeout=cfg.timeout, unsafe=cfg.unsafe_exec)
    started = time.time()
    report = {"config": _config(cfg, engine, sandbox, ranker), "suites": {}}
    for name in cfg.suites:
        if name in STATIC_SUITES:
            report["suites"][name] = STATIC_SUITES[name](cfg)
        elif name == REPO_SUITE:
            report["suites"][name] = run_repo_suite(cfg, engine, ranker, out)
        else:
            spec = MODEL_SUITES[name]
            report["suites"][name] = _run_model_suite(name, spec, cfg, engine, sandbox, ranker, out)
    report["config"]["seconds"] = round(time.time() - started, 1)
    (out / "report.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    (out / "report.md").write_text(render(report), encoding="utf-8")
    return report
