"""Latency of a Qwen2.5-Coder-0.5B-shaped model (random weights, int8) in CTranslate2, CPU or GPU.

Measures one completion of a long prompt four ways the engine could draw candidates: n=1,
n=4 as ``num_hypotheses`` (one request), and the same prompt batched 4 times; each with and
without ``return_logits_vocab`` (what per-token entropy costs), with the time to the first
token. The weights are random, so only the timings mean anything.

    pip install -e ".[convert]"
    python scripts/latency_arch.py                      # full shape: 24 layers, ~2 GB disk
    python scripts/latency_arch.py --layers 8           # faster on a small CPU
    python scripts/latency_arch.py --device cuda --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Qwen2.5-Coder-0.5B's config.json (the numbers that set the cost).
QWEN_05B = {
    "hidden_size": 896,
    "intermediate_size": 4864,
    "num_hidden_layers": 24,
    "num_attention_heads": 14,
    "num_key_value_heads": 2,
    "vocab_size": 151936,
    "max_position_embeddings": 32768,
    "rope_theta": 1e6,
    "tie_word_embeddings": True,
}
SPECIALS = ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>"]
# name -> (prompts in the batch, num_hypotheses): the ways to get n candidates.
MODES: dict[str, tuple[int, int]] = {"n=1": (1, 1), "n=4 hypotheses": (1, 4), "batch of 4": (4, 1)}


def build_model(work: Path, layers: int) -> Path:
    """Random Qwen2 weights (bf16 safetensors) + a small tokenizer with Qwen's FIM tokens."""
    import torch
    import transformers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    hf = work / "hf"
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator([Path(__file__).read_text()], trainer=trainer)
    cfg = transformers.Qwen2Config(**{**QWEN_05B, "num_hidden_layers": layers})
    torch.manual_seed(0)
    with torch.device("cpu"):
        model = transformers.Qwen2ForCausalLM(cfg).to(torch.bfloat16)
    model.save_pretrained(str(hf))
    del model
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token=SPECIALS[0], additional_special_tokens=SPECIALS[1:]
    )
    fast.save_pretrained(str(hf))
    return hf


def timed(generator, batch, hyps: int, new_tokens: int, logits: bool) -> tuple[float, float]:
    """(seconds to the first generated token, seconds for the whole call)."""
    first: list[float] = []
    t0 = time.perf_counter()

    def on_step(step) -> bool:
        if not first:
            first.append(time.perf_counter() - t0)
        return False

    generator.generate_batch(
        batch,
        max_length=new_tokens,
        min_length=new_tokens,
        include_prompt_in_result=False,
        sampling_topk=50,
        sampling_temperature=0.8,
        num_hypotheses=hyps,
        return_logits_vocab=logits,
        callback=on_step,
    )
    return first[0], time.perf_counter() - t0


def entropy_ms(vocab: int, rows: int) -> float:
    """What the engine's per-token entropy (completion.backend.token_stats) costs for ``rows``."""
    import numpy as np

    from completion.backend import token_stats

    z = np.random.default_rng(0).normal(size=(rows, vocab)).astype(np.float32)
    t = time.perf_counter()
    for row in z:
        token_stats(row, 0)
    return round((time.perf_counter() - t) * 1000, 1)


def run(args: argparse.Namespace) -> dict:
    import ctranslate2

    from completion.convert import convert

    work = Path(args.workdir or tempfile.mkdtemp(prefix="latency-arch-"))
    work.mkdir(parents=True, exist_ok=True)
    ct2 = work / f"qwen2-0.5b-shape-{args.layers}l-int8"
    t = time.perf_counter()
    if not (ct2 / "model.bin").exists():
        hf = build_model(work, args.layers)
        convert(hf, ct2, quantization="int8", force=True, threads=args.threads)
        shutil.rmtree(hf)
    setup = time.perf_counter() - t
    if args.prepare_only:
        return {"model_dir": str(ct2), "setup_s": round(setup, 1)}
    gen = ctranslate2.Generator(
        str(ct2), device=args.device, compute_type="auto", intra_threads=args.threads
    )
    vocab = json.loads((ct2 / "vocabulary.json").read_text())
    rng = random.Random(0)
    prompt = [vocab[rng.randrange(len(SPECIALS), len(vocab))] for _ in range(args.prompt_tokens)]
    timed(gen, [prompt[:64]], 1, 2, False)  # warm-up: allocations, kernels
    rows = []
    for logits in (False, True):
        for mode, (batch, hyps) in MODES.items():
            runs = [
                timed(gen, [prompt] * batch, hyps, args.new_tokens, logits)
                for _ in range(args.repeats)
            ]
            first = statistics.median(r[0] for r in runs)
            total = statistics.median(r[1] for r in runs)
            rows.append(
                {
                    "mode": mode,
                    "logits_vocab": logits,
                    "first_token_ms": round(first * 1000, 1),
                    "total_ms": round(total * 1000, 1),
                    "decode_ms_per_step": round((total - first) * 1000 / (args.new_tokens - 1), 2),
                    "candidates_per_s": round(batch * hyps / total, 2),
                }
            )
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    ent = entropy_ms(QWEN_05B["vocab_size"], 4 * args.new_tokens)
    result = {
        "model": f"Qwen2-0.5B shape, {args.layers} of 24 layers, random weights, int8",
        "device": args.device,
        "compute_type": gen.compute_type,
        "threads": args.threads or os.cpu_count(),
        "cpu_count": os.cpu_count(),
        "prompt_tokens": args.prompt_tokens,
        "new_tokens": args.new_tokens,
        "repeats": args.repeats,
        "setup_s": round(setup, 1),
        "entropy_ms_for_4_candidates": ent,
        "rows": rows,
    }
    if not args.keep:
        del gen
        shutil.rmtree(work, ignore_errors=True)
    return result


def markdown(result: dict) -> str:
    head = (
        f"{result['model']}; {result['device']} ({result['compute_type']}, "
        f"{result['threads']} threads); prompt {result['prompt_tokens']} tokens, "
        f"{result['new_tokens']} new tokens, median of {result['repeats']}\n\n"
        "| mode | logits_vocab | first token ms | total ms | decode ms/step | candidates/s |\n"
        "|---|---|---|---|---|---|\n"
    )
    body = "".join(
        f"| {r['mode']} | {'yes' if r['logits_vocab'] else 'no'} | {r['first_token_ms']} | "
        f"{r['total_ms']} | {r['decode_ms_per_step']} | {r['candidates_per_s']} |\n"
        for r in result["rows"]
    )
    tail = (
        f"\nentropy in Python (token_stats) for 4 x {result['new_tokens']} rows of 151,936 "
        f"logits: {result['entropy_ms_for_4_candidates']} ms\n"
    )
    return head + body + tail


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--layers", type=int, default=24, help="decoder layers (24 = the real shape)")
    p.add_argument("--prompt-tokens", type=int, default=1024)
    p.add_argument("--new-tokens", type=int, default=32)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: CTranslate2 default)")
    p.add_argument("--workdir", help="where to build the model (default: a temp dir)")
    p.add_argument("--keep", action="store_true", help="keep the converted model in --workdir")
    p.add_argument(
        "--prepare-only",
        action="store_true",
        help="build and convert the model into --workdir, then stop (time it later)",
    )
    p.add_argument("--json", type=Path, help="also write the result as JSON here")
    args = p.parse_args()
    if args.prepare_only and not args.workdir:
        p.error("--prepare-only needs --workdir")
    result = run(args)
    if args.prepare_only:
        print(json.dumps(result))
        return 0
    print(markdown(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
