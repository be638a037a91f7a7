"""`entropy-complete models check DIR`: what a model directory is and whether it will work."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from completion.inspect import ModelReport, check
from completion.modeldir import DEVICES

from .args import choice


def add_parser(sub) -> None:
    p = sub.add_parser(
        "models",
        help="inspect model directories",
        description="Inspect CTranslate2 model directories.",
    )
    models = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    c = models.add_parser(
        "check",
        help="say what a model directory holds and whether it will work",
        description="Report a model directory's architecture, vocabulary, FIM family and the "
        "devices and compute types available, and whether entropy-complete can run it. "
        "Exit status: 0 usable, 1 not usable (the reason is printed), 2 bad arguments.",
    )
    c.add_argument("dir", type=Path, metavar="DIR", help="a CTranslate2 model directory")
    c.add_argument(
        "--device",
        default="auto",
        type=choice(DEVICES),
        help="auto, cpu or cuda (default auto)",
    )
    c.add_argument("--compute-type", default="auto", help="CTranslate2 compute type to check")
    c.add_argument("--load", action="store_true", help="also load it and generate two tokens")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.set_defaults(func=run)


def _rows(r: ModelReport) -> list[tuple[str, str]]:
    """Label/value rows for the facts the report has; unknown facts are left out."""
    parts = (
        r.kind,
        f"{r.layers} layers" if r.layers else "",
        f"hidden {r.hidden_size}" if r.hidden_size else "",
    )
    shape = ", ".join(p for p in parts if p)
    arch = r.architecture or r.kind
    arch_text = f"{arch} ({shape})" if shape and shape != arch else str(arch)
    fim = " ".join(r.fim.values()) if r.fim else "prefix-only"
    devices = "; ".join(
        f"{d.device} x{d.count}: {', '.join(d.compute_types)} (auto: {d.auto})" for d in r.devices
    )
    candidates = [
        ("architecture", arch, arch_text),
        ("spec", r.spec, r.spec),
        ("vocabulary", r.tokenizer_vocab, f"{r.tokenizer_vocab} tokens (model: {r.model_vocab})"),
        ("weights", r.weights, f"{r.weights}, {r.size_mb} MB"),
        ("FIM family", r.family, f"{r.family} ({fim})"),
        ("stop tokens", r.stop_tokens, " ".join(r.stop_tokens)),
        ("context", r.context_length, f"{r.context_length} tokens"),
        ("devices", r.devices, devices),
        ("would run on", r.device, f"{r.device} / {r.compute_type}"),
    ]
    return [(label, str(text)) for label, known, text in candidates if known]


def run(args: argparse.Namespace) -> int:
    if not args.dir.is_dir():
        what = "not a directory" if args.dir.exists() else "not found"
        print(f"entropy-complete: error: model directory {what}: {args.dir}", file=sys.stderr)
        return 2
    report = check(args.dir, args.device, args.compute_type, load=args.load)
    if args.json:
        print(json.dumps(report.to_json(), indent=1, ensure_ascii=False))
        return 0 if report.ok else 1
    print(report.path)
    for label, text in _rows(report):
        print(f"  {label:<13} {text}")
    for note in report.notes:
        print(f"  note          {note}")
    if report.ok:
        how = (
            f"loaded and generated in {report.load_seconds:.3f} s"
            if args.load
            else "--load runs it"
        )
        print(f"  usable        yes ({how})")
        return 0
    print(f"  usable        no: {report.reason}")
    return 1
