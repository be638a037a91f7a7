"""Raw CTranslate2 timing of one model: prefill and the cost of one decoding step for 1, 3 and
4 sequences, outside the engine (no ranking, no stop rules), to tell the kernel's share of a
request from the pipeline's.

    python scripts/ct2_steps.py MODEL_DIR [--threads 1] [--prompt-tokens 300] [--repeat 3]

The prompt is ``--prompt-tokens`` tokens drawn from the vocabulary with a fixed seed; each
call generates exactly 1 or 17 tokens (``min_length`` = ``max_length``), and a step is the
difference divided by 16. ``--compute-type`` and CTranslate2's own environment variables
(``CT2_USE_MKL``, ``CT2_FORCE_CPU_ISA``) compare backends. Medians of ``--repeat`` calls after
one warm-up call.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from completion.inspect import read_vocab
from lsp_server.cli import OneLineParser
from lsp_server.cli.args import bounded_int


def main() -> int:
    ap = OneLineParser(prog="ct2_steps.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("model", type=Path, help="a CTranslate2 model directory")
    ap.add_argument("--threads", type=bounded_int(1, None, "--threads "), default=1)
    ap.add_argument("--prompt-tokens", type=bounded_int(1, None, "--prompt-tokens "), default=300)
    ap.add_argument("--repeat", type=bounded_int(1, None, "--repeat "), default=3)
    ap.add_argument("--compute-type", default="int8")
    args = ap.parse_args()
    if not (args.model / "model.bin").is_file():
        print(f"ct2_steps.py: no model.bin in {args.model}", file=sys.stderr)
        return 2
    vocab = read_vocab(args.model)
    if vocab is None:
        print(f"ct2_steps.py: no vocabulary file in {args.model}", file=sys.stderr)
        return 2

    import ctranslate2
    import numpy as np

    try:
        gen = ctranslate2.Generator(
            str(args.model),
            device="cpu",
            compute_type=args.compute_type,
            intra_threads=args.threads,
        )
    except (ValueError, RuntimeError) as exc:  # an unsupported compute type, a corrupt model
        print(f"ct2_steps.py: {exc}", file=sys.stderr)
        return 2
    rng = np.random.default_rng(0)
    prompt = [vocab[i] for i in rng.integers(100, min(len(vocab), 20_000), args.prompt_tokens)]

    def call(n: int, tokens: int) -> float:
        kwargs = dict(max_length=tokens, min_length=tokens, include_prompt_in_result=False)
        start = time.perf_counter()
        if n == 1:
            gen.generate_batch([prompt], sampling_topk=1, **kwargs)
        else:
            gen.generate_batch([prompt], sampling_topk=50, num_hypotheses=n, **kwargs)
        return time.perf_counter() - start

    print(f"{args.model}: {args.prompt_tokens}-token prompt, {args.threads} thread(s), "
          f"{args.compute_type}")  # fmt: skip
    for n in (1, 3, 4):
        median = {}
        for tokens in (1, 17):
            call(n, tokens)
            median[tokens] = statistics.median(call(n, tokens) for _ in range(args.repeat))
        step = (median[17] - median[1]) / 16
        print(f"  {n} sequence(s): prefill + 1 token {median[1] * 1000:.0f} ms, "
              f"step {step * 1000:.1f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
