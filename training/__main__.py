"""One command from corpus to shipped model: python -m training [--minutes M] [--resume]."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import asdict, fields, replace
from pathlib import Path

import numpy as np

from . import corpus, export
from . import pack as corpus_pack
from . import tokenizer as tokmod
from .data import SpecialIds
from .export import SHIPPED, WEIGHTS
from .train import TrainConfig, device_works, evaluate, evaluate_fim, hardware, make_model, train

ROOT = Path(__file__).resolve().parent.parent


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m training", description=__doc__)
    p.add_argument(
        "--work",
        type=Path,
        default=ROOT / "training" / "work",
        help="scratch dir: tokenized corpus, checkpoints (default training/work)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue from the shipped training weights in training/weights",
    )
    p.add_argument(
        "--no-export", action="store_true", help="train only; do not overwrite the shipped model"
    )
    p.add_argument(
        "--export-only",
        action="store_true",
        help="export the last checkpoint in --work (e.g. after a cut-off run) and stop",
    )
    p.add_argument(
        "--corpus-pack",
        type=Path,
        help="the tokenized corpus in one file: read it if it exists, else write it after "
        "tokenizing (for a machine that cannot collect the corpus, e.g. a GPU without internet)",
    )
    for f in fields(TrainConfig):
        kind = _flag if isinstance(f.default, bool) else type(f.default)
        p.add_argument("--" + f.name.replace("_", "-"), type=kind, default=None)
    return p.parse_args()


def _flag(text: str) -> bool:
    """A yes/no option value (argparse's type=bool would take "false" as True)."""
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not {text!r}")


def bf16_is_fast() -> bool:
    """Whether this CPU has bf16 instructions: without them autocast emulates bf16 and a step
    is ~15x slower than fp32 (measured on an AVX2-only AMD EPYC: 50 vs 900 tokens/s)."""
    import torch

    cpu = getattr(torch, "cpu", None)
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(cpu, c, lambda: False)()) for c in checks)


def pick_tokenizer(work: Path, weights: Path | None, train_texts: list[str]):
    """The run's tokenizer, kept in ``work`` so that continuing its checkpoint uses the same one:
    the shipped weights' (``weights``, a --resume run), the one ``work`` already holds, or a new
    one trained on ``train_texts``. A --resume run continued without --resume used to train a
    new tokenizer whose ids did not match the checkpoint's model."""
    from tokenizers import Tokenizer

    kept = work / "tokenizer.json"
    if weights is not None:
        shutil.copy(weights / "tokenizer.json", kept)
    elif not kept.exists():
        t = time.monotonic()
        tokmod.build(train_texts).save(str(kept))
        print(f"tokenizer trained in {time.monotonic() - t:.0f}s")
    return Tokenizer.from_file(str(kept))


def _run_record(resume: bool, config: dict, state: dict, final: dict) -> dict:
    """One row of the run history: what the model card's Reproduce section repeats."""
    return {
        "resume": resume,
        "corpus": config.get("corpus", "stdlib"),
        "steps": state["steps"],
        "tokens": state["tokens"],
        "minutes": round(state["seconds"] / 60, 1),
        "lr": config["lr"],
        "min_lr": config["min_lr"],
        "warmup_steps": config["warmup_steps"],
        "seed": config["seed"],
        "final": final,
    }


def _history(prev: dict) -> list[dict]:
    """The runs behind ``training/weights`` (the first release predates the history field)."""
    if "history" in prev:
        return prev["history"]
    counts = {"steps": prev["steps"], "tokens": prev["tokens"], "seconds": prev["train_seconds"]}
    return [_run_record(False, prev["config"], counts, prev["final"])]


def main() -> None:
    import torch

    args = _args()
    overrides = {
        f.name: getattr(args, f.name)
        for f in fields(TrainConfig)
        if getattr(args, f.name) is not None
    }
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    ckpt = work / "ckpt.pt"
    if args.export_only and not ckpt.exists():
        ckpt = work / "final-fp16.pt"  # brought back from a GPU run (see training/README.md)

    saved = prev = None
    if ckpt.exists() and not args.resume:
        saved = torch.load(ckpt, weights_only=False, map_location="cpu")
        base = saved["config"]
    elif args.resume:
        prev = json.loads((WEIGHTS / "training_state.json").read_text())
        base = {**prev["config"], "warmup_steps": 50, "corpus": "extended"}
    else:
        base = {}
    cfg = TrainConfig(**{**base, **overrides})
    if args.export_only:
        cfg = replace(cfg, device="cpu")  # exporting needs no GPU, whatever the run used
    if cfg.device != "cpu" and not device_works(cfg.device):
        raise SystemExit(f"python -m training: device {cfg.device!r} is not available here")
    if cfg.device == "cpu" and cfg.bf16 and not bf16_is_fast():
        print("this CPU has no bf16 instructions: training in fp32 (bf16 would be ~15x slower)")
        cfg = replace(cfg, bf16=False)

    packed = None
    if args.corpus_pack is not None and args.corpus_pack.exists():
        try:
            packed = corpus_pack.load(args.corpus_pack)
        except ValueError as exc:
            raise SystemExit(f"python -m training: {exc}") from None
        manifest = packed.manifest
        (work / "manifest.json").write_text(json.dumps(manifest, indent=1))
        train_texts: list[str] = []
    else:
        try:
            files = corpus.collect(cfg.corpus)
        except (ValueError, corpus.sources.MissingSource) as exc:
            raise SystemExit(f"python -m training: {exc}") from None
        manifest = corpus.write_manifest(files, work / "manifest.json")
        train_texts = corpus.read_texts(files, "train")
        valid_texts = corpus.read_texts(files, "valid")
    origin = f"the pack {args.corpus_pack}" if packed is not None else cfg.corpus
    print(f"corpus from {origin}: {manifest['totals']} (Python {manifest['python_version']})")

    if packed is not None and not args.resume and not (work / "tokenizer.json").exists():
        raise SystemExit("python -m training: a corpus pack needs --resume or --work's tokenizer")
    tok = pick_tokenizer(work, WEIGHTS if args.resume else None, train_texts)
    ids = [
        tok.token_to_id(s)
        for s in (tokmod.EOT, tokmod.FIM_PREFIX, tokmod.FIM_MIDDLE, tokmod.FIM_SUFFIX)
    ]
    if any(i is None for i in ids):
        raise SystemExit("python -m training: the tokenizer lacks the end or FIM tokens")
    sp = SpecialIds(*(int(i) for i in ids if i is not None))
    vocab = tok.get_vocab()
    newline_ids = np.array(sorted(i for t, i in vocab.items() if t and set(t) == {"Ċ"}))
    if packed is None:
        enc = lambda texts: [np.array(e.ids, dtype=np.int64) for e in tok.encode_batch(texts)]  # noqa: E731
        packed = corpus_pack.CorpusPack(
            train_ids=enc(train_texts),
            valid_ids=enc(valid_texts),
            train_chars=sum(len(t) for t in train_texts),
            valid_chars=sum(len(t) for t in valid_texts),
            manifest=manifest,
            tokenizer_hash=corpus_pack.tokenizer_hash(tok),
        )
        if args.corpus_pack is not None:
            corpus_pack.save(args.corpus_pack, packed)
            print(f"corpus pack written to {args.corpus_pack}")
    elif packed.tokenizer_hash != corpus_pack.tokenizer_hash(tok):
        raise SystemExit(f"python -m training: {args.corpus_pack} was made with another tokenizer")
    train_ids, valid_ids, valid_chars = packed.train_ids, packed.valid_ids, packed.valid_chars
    n_train = sum(len(x) for x in train_ids)
    print(f"train tokens/epoch {n_train:,}, chars/token {packed.train_chars / n_train:.2f}")

    state = None
    if saved is not None:
        model = make_model(cfg, tok.get_vocab_size(), sp)
        model.load_state_dict(saved["model"])
        state = {**saved["state"]}
        if "optimizer" in saved:
            state["optimizer"] = saved["optimizer"]
        print(f"continuing checkpoint at step {state['step']}")
    elif args.resume:
        from transformers import LlamaForCausalLM

        assert prev is not None
        model = LlamaForCausalLM.from_pretrained(str(WEIGHTS), torch_dtype=torch.float32)
        state = {
            "step": 0,
            "elapsed": 0.0,
            "tokens": 0,
            "log": [],
            "previous_tokens": prev["tokens_total"],
            "history": _history(prev),
        }
    else:
        model = make_model(cfg, tok.get_vocab_size(), sp)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params / 1e6:.2f}M parameters, config {asdict(cfg)}")

    t = time.monotonic()
    if args.export_only:
        if state is None:
            raise SystemExit(f"--export-only: no checkpoint in {work}")
        state.pop("optimizer", None)
    else:
        state = train(model, train_ids, valid_ids, valid_chars, newline_ids, sp, cfg, work, state)
    final = {
        **evaluate(model, valid_ids, valid_chars, sp.eot, cfg),
        **evaluate_fim(model, valid_ids, newline_ids, sp, cfg),
    }
    summary = {
        "config": asdict(cfg),
        "parameters": n_params,
        "steps": state["step"],
        "tokens": state["tokens"],
        "tokens_total": state["tokens"] + state.get("previous_tokens", 0),
        "train_seconds": round(state["elapsed"], 1),
        "wall_seconds_this_run": round(time.monotonic() - t, 1),
        "hardware": state.get("hardware") or hardware(cfg),
        "torch": torch.__version__,
        "final": final,
        "evals": state.get("evals", []),
        "corpus": manifest["totals"],
        "python_version": manifest["python_version"],
        "licence": manifest["licence"],
        "third_party": corpus.third_party_rows(manifest),
        "seed": cfg.seed,
        # Every run that led to these weights, oldest first: what the card's Reproduce lists.
        "history": [
            *state.get("history", []),
            {
                **_run_record(
                    bool(args.resume or state.get("history")),
                    asdict(cfg),
                    {
                        "steps": state["step"],
                        "tokens": state["tokens"],
                        "seconds": state["elapsed"],
                    },
                    final,
                ),
                "init_seeded": True,
            },
        ],
    }
    (work / ("summary-export.json" if args.export_only else "summary.json")).write_text(
        json.dumps(summary, indent=1)
    )
    print(json.dumps(final))
    if not args.no_export:
        export.save_weights(model, tok, summary, WEIGHTS, work)
        export.convert(WEIGHTS, SHIPPED)
        export.write_card(summary, SHIPPED)
        print(f"shipped model written to {SHIPPED}")


if __name__ == "__main__":
    try:
        main()
    except SystemExit as stop:  # the recipe's errors are one line; bad input exits with 2
        if not isinstance(stop.code, str):
            raise
        print(stop.code, file=sys.stderr)
        sys.exit(2)
