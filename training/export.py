"""Saves the training weights (fp16), converts them to CTranslate2 int8, and writes the model card."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from . import tokenizer as tokmod


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
        # Measured on the shipped model: prefix-only prompts complete ordinary Python far
        # better than its FIM mode ("if __name__ == " -> "'__main__':" at 0.89 confidence vs
        # junk), so the engine uses them unless told otherwise.
        "prompt_format": "prefix",
        "architecture": config.get("architectures", ["?"])[0],
    }
    (tmp / "entropy-complete.json").write_text(json.dumps(meta, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def write_card(summary: dict, out: Path, evaluation: dict | None = None) -> None:
    """MODEL_CARD.md beside the shipped model: data, licence, size, recipe, numbers, limits."""
    cfg, final = summary["config"], summary["final"]
    size_mb = sum(f.stat().st_size for f in out.iterdir()) / 1e6
    evaluation = evaluation or {}
    eval_lines = "\n".join(f"| {k} | {v} |" for k, v in evaluation.items()) or "| (not run yet) | |"
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
| training data | CPython {summary["python_version"]} standard library `Lib/` ({summary["corpus"]["train"]["bytes"] / 1e6:.1f} MB train, {summary["corpus"]["valid"]["bytes"] / 1e6:.2f} MB held out by path hash; 35% of test files kept) |
| licence of the data | {summary["licence"]} — file list with sha256 in `training/weights/manifest.json` |
| objective | next-token prediction, FIM on {cfg["fim_rate"]:.0%} of windows (70% PSM / 30% SPM, split at token boundaries, middles mostly ending at a line end) |
| training | {summary["tokens_total"] / 1e6:.1f}M tokens, {summary["steps"]} steps of {cfg["batch"]}x{cfg["seq_len"]}, {summary["train_seconds"] / 60:.0f} min on {summary["hardware"]}, bf16 autocast, AdamW lr {cfg["lr"]} cosine, seed {summary["seed"]} |
| validation loss | {final["valid_nats_per_token"]:.3f} nats/token, {final["valid_bits_per_char"]:.3f} bits/char (held-out stdlib files, left to right) |

## Evaluation

| metric | value |
|---|---|
{eval_lines}

## Reproduce

```
pip install -e ".[train]"        # CPU torch: pip install torch==2.13.0 first
python -m training --minutes {cfg["minutes"]:g} --seed {summary["seed"]}
python -m training --resume --minutes 60   # continue from training/weights
```

## Known limits
- Trained only on the Python standard library: other languages get poor completions.
- Small and undertrained: multi-line completions drift and loop; the engine's stop rules,
  repetition filter and entropy abstain are what make it usable.
- Its fill-in-the-middle mode is weak (it was trained on FIM, but completes far better from
  the prefix alone), so its `entropy-complete.json` asks for prefix-only prompts.
- Held-out loss is 1.25 bits/char: short of the 1.0 aimed for; more tokens (`--resume`) help,
  the curve was still falling.
- Not for security-sensitive code: suggestions touching sensitive APIs are flagged for review.
"""
    (out / "MODEL_CARD.md").write_text(card)
