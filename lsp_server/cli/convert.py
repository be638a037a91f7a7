"""`entropy-complete convert HF_MODEL_DIR OUT_DIR`: a Hugging Face code model to CTranslate2."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from completion.convert import QUANTIZATIONS, ConversionError, convert

from .args import threads


def add_parser(sub) -> None:
    p = sub.add_parser(
        "convert",
        help="convert a Hugging Face code model to CTranslate2 and check that it runs",
        description="Convert a local Hugging Face decoder model (Qwen2.5-Coder, StarCoder, "
        "DeepSeek-Coder, CodeLlama, CodeGemma, GPT-2 ...) with ct2-transformers-converter, copy "
        "its tokenizer, load it, generate a few tokens, detect its FIM format and write "
        "entropy-complete.json. Needs the [convert] extra (torch, transformers).",
    )
    p.add_argument("hf_dir", type=Path, metavar="HF_MODEL_DIR", help="local Hugging Face model")
    p.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="where the converted model goes")
    p.add_argument(
        "--quantization",
        default="int8",
        help=f"weight type: {', '.join(QUANTIZATIONS)} (default int8: runs on every CPU and GPU)",
    )
    p.add_argument("--force", action="store_true", help="replace a converted model in OUT_DIR")
    p.add_argument(
        "--context-length",
        type=int,
        help="tokens of prompt + completion the engine may use (default: the model's own; "
        "2048 keeps prompts fast on CPU)",
    )
    p.add_argument("--threads", type=threads, default=0, help="CPU threads for the validation run")
    p.add_argument("--json", action="store_true", help="print the metadata as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        result = convert(
            args.hf_dir,
            args.out_dir,
            args.quantization,
            args.force,
            args.threads,
            args.context_length,
        )
    except ConversionError as e:
        print(f"entropy-complete: error: {e}", file=sys.stderr)
        return 2
    meta = result.meta
    if args.json:
        print(json.dumps({"out_dir": str(result.out_dir), **meta}, indent=1, ensure_ascii=False))
        return 0
    fim = meta["fim"]
    markers = " ".join((fim["prefix"], fim["suffix"], fim["middle"])) if fim else "prefix-only"
    print(f"converted {args.hf_dir} -> {result.out_dir} in {result.seconds:.1f} s")
    print(f"  architecture  {meta['architecture']} ({meta['quantization']})")
    print(f"  FIM family    {meta['family']} ({markers})")
    print(f"  stop tokens   {' '.join(meta['stop_tokens']) or '-'}")
    print(
        f"  context       {meta['context_length']} tokens "
        f"(the model's: {meta['model_context_length'] or 'unknown'})"
    )
    print(f"  sample        {result.sample!r}")
    print(f"use it: entropy-complete complete FILE --line L --column C --model {result.out_dir}")
    return 0
