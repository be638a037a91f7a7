"""Saves the training weights (fp16), converts them to CTranslate2 int8, and writes the model card."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from . import tokenizer as tokmod

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "training" / "weights"  # fp16 training weights: what --resume continues
SHIPPED = ROOT / "completion" / "models" / "default"  # the CTranslate2 model in the package


def save_weights(model, tok, summary: dict, weights: Path, work: Path) -> None:
    """fp16 safetensors + config + tokenizer: what ``--resume`` continues from."""
    import torch

    weights.mkdir(parents=True, exist_ok=True)
    model.to(torch.float16).save_pretrained(str(weights), safe_serialization=True)
    model.to(torch.float32)
    tokmod.save_for_transformers(tok, weights)
    (weights / "training_state.json").write_text(json.dumps(summary, indent=1))
    shutil.copy(work / "manifest.json", weights / "manifest.json")


def convert(weights: Path, out: Path) -> None:
    """Runs ct2-transformers-converter (int8) and copies the tokenizer next to the model."""
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [
        str(Path(sys.executable).with_name("ct2-transformers-converter")),
        "--model",
        str(weights),
        "--output_dir",
        str(tmp),
        "--quantization",
        "int8",
        "--copy_files",
        "tokenizer.json",
        "--low_cpu_mem_usage",
    ]
    subprocess.run(cmd, check=True)
    config = json.loads((weights / "config.json").read_text())
    meta = {
        "family": "starcoder",
        "fim": {
            "prefix": tokmod.FIM_PREFIX,
            "suffix": tokmod.FIM_SUFFIX,
            "middle": tokmod.FIM_MIDDLE,
        },
        "stop_tokens": [tokmod.EOT, tokmod.FIM_PAD],
        # Trained on 512-token rows: RoPE positions past that were never seen.
        "context_length": 512,
        # Measured on release 2: its prefix-suffix-middle mode writes junk; suffix-first prompts
        # cost the middle of held-out holes less (2.48 nats against 2.60 prefix-only) and, on
        # masked lines of code it never trained on, complete as well or better (docs/benchmark.md,
        # "Prompt layout"), so the engine puts the text after the cursor first.
        "prompt_format": "spm",
        "architecture": config.get("architectures", ["?"])[0],
        # The corpus is Python only: other languages get no suggestion rather than Python.
        "languages": ["python"],
    }
    (tmp / "entropy-complete.json").write_text(json.dumps(meta, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def _run_command(run: dict) -> str:
    """The command that repeats one run of the history (steps, not minutes: machine-independent)."""
    parts = ["python -m training"]
    if run["resume"]:
        parts.append("--resume")
    parts += [f"--corpus {run['corpus']}", f"--steps {run['steps']}"]
    parts += [f"--lr {run['lr']:g}", f"--min-lr {run['min_lr']:g}"]
    parts += [f"--warmup-steps {run['warmup_steps']}", f"--seed {run['seed']}"]
    return " ".join(parts)


def write_card(summary: dict, out: Path, evaluation: dict | None = None) -> None:
    """MODEL_CARD.md beside the shipped model: data, licence, size, recipe, numbers, limits."""
    cfg, final = summary["config"], summary["final"]
    size_mb = sum(f.stat().st_size for f in out.iterdir()) / 1e6
    evaluation = evaluation or {}
    eval_lines = "\n".join(f"| {k} | {v} |" for k, v in evaluation.items()) or "| (not run yet) | |"
    history = summary.get("history") or []
    third = summary.get("third_party") or []
    stdlib_mb = (summary["corpus"]["train"]["bytes"] - sum(t["bytes"] for t in third)) / 1e6
    data = f"CPython {summary['python_version']} standard library `Lib/` ({stdlib_mb:.1f} MB)"
    if third:
        data += (
            f" + {len(third)} permissively licensed distributions "
            f"({sum(t['bytes'] for t in third) / 1e6:.1f} MB, table below)"
        )
    data += (
        f"; {summary['corpus']['valid']['bytes'] / 1e6:.2f} MB of stdlib files held out by "
        "path hash (copies of them in other packages left out); 35% of test files kept"
    )
    minutes = sum(r["minutes"] for r in history) or summary["train_seconds"] / 60
    runs = "\n".join(
        f"| {i + 1} | {'resume' if r['resume'] else 'from scratch'} | {r['corpus']} | "
        f"{r['steps']:,} | {r['tokens'] / 1e6:.1f}M | {r['minutes']:.0f} | "
        f"{r['lr']:g} -> {r['min_lr']:g} | {r['final']['valid_bits_per_char']:.3f} |"
        for i, r in enumerate(history)
    )
    commands = "\n".join(_run_command(r) for r in history) or (
        f"python -m training --minutes {cfg['minutes']:g} --seed {summary['seed']}"
    )
    sources = "\n".join(
        f"| {t['distribution']} | {t['version']} | {t['licence']} | {t['bytes'] / 1e6:.2f} |"
        for t in third
    )
    bpc = final["valid_bits_per_char"]
    unseeded = ""
    if history and not history[0]["resume"] and not history[0].get("init_seeded"):
        unseeded = (
            " Run 1 predates the seeding of the initial weights (its data order was seeded), so"
            " repeating it lands within noise of its numbers rather than bit for bit."
        )
    card = f"""# entropy-complete default model

A small Llama-style code model trained from scratch by this repository's recipe
(`python -m training`), converted to CTranslate2 int8. It is what `entropy-complete` uses when
no `--model` is given. It is small: expect short, confident completions of ordinary Python
(imports, `self.` attributes, loop headers, returns), not whole functions.

| | |
|---|---|
| architecture | `LlamaForCausalLM`, hidden {cfg["hidden"]}, {cfg["layers"]} layers, {cfg["heads"]} heads, MLP {cfg["intermediate"]}, tied embeddings |
| parameters | {summary["parameters"] / 1e6:.2f}M |
| tokenizer | byte-level BPE, {summary.get("vocab_size", 8192)} tokens, newlines split off, StarCoder FIM tokens (`<fim_prefix>`, `<fim_suffix>`, `<fim_middle>`, `<|endoftext|>`) |
| context | trained on {cfg["seq_len"]}-token rows |
| on disk | {size_mb:.1f} MB (int8) |
| training data | {data} |
| licence of the data | {summary["licence"]} — file list with sha256 in `training/weights/manifest.json` |
| objective | next-token prediction, FIM on {cfg["fim_rate"]:.0%} of windows (70% PSM / 30% SPM, split at token boundaries, middles mostly ending at a line end) |
| training | {summary["tokens_total"] / 1e6:.1f}M tokens in {max(1, len(history))} run(s), {minutes:.0f} min on {summary["hardware"]}, bf16 autocast, AdamW cosine schedules (runs below) |
| validation loss | {final["valid_nats_per_token"]:.3f} nats/token, {bpc:.3f} bits/char (held-out stdlib files, left to right) |

## Evaluation

| metric | value |
|---|---|
{eval_lines}

## Training runs

| run | start | corpus | steps of {cfg["batch"]}x{cfg["seq_len"]} | tokens | minutes | lr | valid bits/char after |
|---|---|---|---|---|---|---|---|
{runs}

## Data sources beyond the standard library

| distribution | version | licence | MB of `.py` used |
|---|---|---|---|
{sources or "| (none) | | | |"}

## Reproduce

```
pip install torch==2.13.0          # CPU build; plain "torch" pulls CUDA
pip install -e ".[train]" -r training/corpus-requirements.txt
{commands}
```

Each line is one run of the table above, by step count so any machine repeats it (each run
exports to `training/weights` and the next resumes from there); CPython {summary["python_version"]}'s
standard library is part of the data, so use that version to get the same files.{unseeded} Continue
training the shipped weights with `python -m training --resume --minutes M`.

## Known limits
- Trained only on Python: its `entropy-complete.json` declares `"languages": ["python"]`, so
  other languages get no suggestion (and one message saying why) unless the guard is off.
- Its shown confidence comes from `confidence.json`, fitted on the held-out corpus files
  (`entropy-complete calibrate $(python -m training.heldout)`, 1,500 masked lines); the evaluation
  table's confidence row is the older per-benchmark fit.
- Small: multi-line completions drift and loop; the engine's stop rules, repetition filter and
  entropy abstain are what make it usable.
- It reads the text after the cursor in suffix-first order (`"prompt_format": "spm"` in its
  `entropy-complete.json`); in the usual prefix-suffix-middle order it completes worse than
  from the prefix alone (docs/benchmark.md, "Prompt layout").
- Held-out loss is {bpc:.2f} bits/char{": short of the 1.0 aimed for; more tokens (`--resume`) still help" if bpc > 1.0 else ""}.
- Not for security-sensitive code: suggestions touching sensitive APIs are flagged for review.
"""
    (out / "MODEL_CARD.md").write_text(card)
