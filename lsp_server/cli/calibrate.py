"""`entropy-complete calibrate`: fit a model's ranking score and confidence, ship them with it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from completion import CompletionError
from completion.fim import PROMPT_FORMATS, format_of
from completion.modeldir import DEVICES, read_meta
from completion.pipeline import MAX_CANDIDATES

from .args import add_sampling_options, bounded_int, choice, threads


def add_parser(sub) -> None:
    p = sub.add_parser(
        "calibrate",
        help="fit a model's ranking and confidence on your code; write confidence.json",
        description="Mask lines of the given files (whole lines and lines cut mid-way), ask the "
        "model for each, and fit the ranking score and the shown confidence to how often its "
        "answers are right. The result goes to MODEL/confidence.json, which the server, "
        "`complete` and `bench` load by default; a fit of another --prompt-format than the "
        "model's own goes to MODEL/confidence.FORMAT.json, used for prompts of that layout. "
        "Use files the model did not train on and "
        "that no benchmark you report uses.",
    )
    p.add_argument("paths", nargs="*", type=Path, help="source files or directories to mask")
    p.add_argument("--model", help="CTranslate2 model directory (default: the shipped model)")
    p.add_argument(
        "--limit",
        type=bounded_int(20, None, "masked lines "),
        default=1500,
        help="masked lines (default 1500)",
    )
    p.add_argument(
        "-n",
        "--n",
        type=bounded_int(1, MAX_CANDIDATES),
        default=4,
        help="candidates per request (default 4)",
    )
    add_sampling_options(p, top=False)
    p.add_argument(
        "--threads", type=threads, default=1, help="CPU threads for the model (default 1)"
    )
    p.add_argument("--device", default="auto", type=choice(DEVICES), help="auto, cpu or cuda")
    p.add_argument(
        "--prompt-format",
        type=choice(PROMPT_FORMATS),
        default="auto",
        help="the prompts to calibrate (auto: the model's own choice, what users get)",
    )
    p.add_argument(
        "--out",
        type=Path,
        help="where to write the fit (default: MODEL/confidence.json, or "
        "MODEL/confidence.FORMAT.json for another --prompt-format than the model's own)",
    )
    p.add_argument("--dry-run", action="store_true", help="report the fit, write nothing")
    p.add_argument(
        "--save-runs",
        type=Path,
        help="also write every masked line's candidates and features (JSONL) to this file",
    )
    p.add_argument(
        "--from-runs",
        type=Path,
        help="refit from a --save-runs file (or a bench <suite>-tasks.jsonl) without the model",
    )
    p.add_argument(
        "--compare",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="also score an existing confidence file on the held-out half (repeatable)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _fail(msg: str) -> int:
    print(f"entropy-complete: error: {msg}", file=sys.stderr)
    return 2


def _row(name: str, q: dict) -> str:
    def f(v: float | None, pct: bool = False) -> str:
        return "n/a" if v is None else (f"{100 * v:.1f}%" if pct else f"{v:.3f}")

    return (
        f"  {name:<28} n={q['n']:<5} right {f(q['accuracy'], True):>6}  mean conf "
        f"{f(q['mean_confidence'], True):>6}  AUROC {f(q['auroc'])}  ECE {f(q['ece'])}"
    )


def default_out(model_dir: str | Path, prompt_format: str, resolved: str | None = None) -> Path:
    """Where a fit goes by default: ``confidence.json`` for the prompts the model uses on its
    own (``auto``, or its entropy-complete.json ``prompt_format``), else
    ``confidence.<format>.json``, which the engine reads for prompts of that layout only.
    ``resolved`` is the format the prompts really had (a FIM request without FIM tokens is
    prefix-only)."""
    from ranking.confidence import CALIBRATION_FILE, layout_file

    model_dir = Path(model_dir)
    try:
        own = read_meta(model_dir).get("prompt_format", "fim")
    except CompletionError:  # a broken file: the engine says so when it loads the model
        own = "fim"
    if prompt_format in ("auto", own):
        return model_dir / CALIBRATION_FILE
    return layout_file(model_dir, resolved or prompt_format)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from bench.calibrate import fit, halves, quality
    from bench.masked import calibration_tasks
    from bench.report import load_runs, task_record
    from bench.runner import Runner
    from completion import CT2Engine, SamplingPolicy
    from ranking import ConfidenceModel

    if bool(args.paths) == bool(args.from_runs):
        return _fail("give source paths to mask, or --from-runs FILE (not both)")
    try:
        if args.from_runs:
            runs, model_id, model_dir = load_runs(args.from_runs), "from runs", args.model
            resolved = None
        else:
            engine = CT2Engine(
                args.model,
                args.device,
                "auto",
                args.threads,
                prompt_format=args.prompt_format,
                repeatable=True,
            )
            model_id, model_dir = engine.info.model_id, engine.info.path
            resolved = format_of(engine.prompt_template)
            tasks = calibration_tasks(args.paths, args.limit, args.seed, engine.info.languages)
    except (CompletionError, ValueError, OSError) as e:
        return _fail(str(e))
    try:
        compared = [(f.name, ConfidenceModel.load(f)) for f in args.compare]
    except ValueError as e:
        return _fail(f"--compare: {e}")
    if model_dir is None and not args.dry_run and args.out is None:
        return _fail("--from-runs needs --model DIR or --out FILE to know where to write")
    out = args.out
    if out is None and model_dir is not None:
        out = default_out(model_dir, args.prompt_format, resolved)
    if out is not None and not args.dry_run and not out.parent.is_dir():
        return _fail(f"--out: no such directory: {out.parent}")
    if not args.from_runs:
        policy = SamplingPolicy(
            n=args.n, temperature=args.temperature, include_greedy=args.n > 1, seed=args.seed
        )
        runner = Runner(engine, policy, None, ConfidenceModel())
        runs = []
        bar = tqdm(tasks, desc="calibrate", unit="line", disable=args.quiet, file=sys.stderr)
        try:
            for task in bar:
                runs.append(runner.run(task))
        except CompletionError as e:  # the model failed on a masked line: say which, no trace
            bar.close()
            return _fail(f"{task.id}: {e}")
        if args.save_runs:
            args.save_runs.write_text(
                "".join(json.dumps(task_record(r)) + "\n" for r in runs), encoding="utf-8"
            )
    prompts = "" if args.prompt_format == "auto" else f", {args.prompt_format} prompts"
    source = f"calibrate, model {model_id}{prompts}, {len(runs)} masked lines, seed {args.seed}"
    cal, held = halves(runs, args.seed)
    half = fit(cal, source + " (half)")
    print(f"model {model_id}: {len(runs)} masked lines")
    print(f"held-out half ({len(held)} lines), top suggestion:")
    print(_row("fitted on the other half", quality(held, half)))
    print(_row("summed log-prob, uncalibrated", quality(held, ConfidenceModel())))
    for name, other in compared:
        print(_row(name, quality(held, other)))
    model = fit(runs, source)
    if args.dry_run:
        print("dry run: nothing written")
        return 0
    model.save(out)
    print(f"wrote {out} (fitted on all {len(runs)} lines)")
    return 0
