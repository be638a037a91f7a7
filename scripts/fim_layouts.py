"""How much the text after the cursor helps a model trained by this repository's recipe: the loss
of the middle tokens of the recipe's fixed held-out holes (the same holes as its FIM
evaluation), with three prompt layouts on the same tokens:

- ``prefix``: the text before the hole only (what prefix-only prompts give the model);
- ``psm``: ``<fim_prefix>`` prefix ``<fim_suffix>`` suffix ``<fim_middle>``;
- ``spm``: ``<fim_prefix><fim_suffix>`` suffix ``<fim_middle>`` prefix (suffix first).

Lower is better; a FIM layout helps where it beats ``prefix``. The end token is left out, as
prefix-only prompts have none there.

Usage (CPU torch and the train extra, as for ``python -m training``):
    python scripts/fim_layouts.py training/weights
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("weights", type=Path, help="a Hugging Face weights folder (training/weights)")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    if not (args.weights / "tokenizer.json").exists():
        raise SystemExit(f"fim_layouts: {args.weights} has no tokenizer.json")

    import torch
    from tokenizers import Tokenizer
    from transformers import LlamaForCausalLM

    from training import corpus
    from training import tokenizer as tokmod
    from training.data import SpecialIds, fim_transform, windows

    torch.set_num_threads(args.threads)
    tok = Tokenizer.from_file(str(args.weights / "tokenizer.json"))
    names = (tokmod.EOT, tokmod.FIM_PREFIX, tokmod.FIM_MIDDLE, tokmod.FIM_SUFFIX)
    sp = SpecialIds(*(int(tok.token_to_id(n)) for n in names))
    texts = corpus.read_texts(corpus.collect("extended"), "valid")
    valid = [np.array(e.ids, dtype=np.int64) for e in tok.encode_batch(texts)]
    newline_ids = np.array(sorted(i for t, i in tok.get_vocab().items() if t and set(t) == {"Ċ"}))
    model = LlamaForCausalLM.from_pretrained(str(args.weights), torch_dtype=torch.float32).eval()

    def middle_nats(ids: list[int], n_middle: int) -> float:
        x = torch.tensor(ids).unsqueeze(0)
        with torch.no_grad():
            logits = model(x[:, :-1]).logits.float()[0]
        nll = torch.nn.functional.cross_entropy(logits, x[0, 1:], reduction="none")
        return float(nll[-n_middle:].sum())

    rng = np.random.default_rng(0)  # the recipe's evaluation draws its holes the same way
    total = {"prefix": 0.0, "psm": 0.0, "spm": 0.0}
    count = 0
    for ids in valid:
        mask = np.isin(ids, newline_ids)
        for j, (w, m) in enumerate(windows(ids, mask, 512 - 8, rng)):
            if j >= 4 or len(w) < 16:
                break
            s = list(fim_transform(w, m, sp, rng, spm_share=0.0).ids)
            pre = s[s.index(sp.prefix) + 1 : s.index(sp.suffix)]
            suf = s[s.index(sp.suffix) + 1 : s.index(sp.middle)]
            mid = s[s.index(sp.middle) + 1 : -1]
            if not mid:
                continue
            layouts = {
                "prefix": [sp.eot, *pre, *mid],
                "psm": [sp.prefix, *pre, sp.suffix, *suf, sp.middle, *mid],
                "spm": [sp.prefix, sp.suffix, *suf, sp.middle, *pre, *mid],
            }
            for name, seq in layouts.items():
                total[name] += middle_nats(seq, len(mid))
            count += len(mid)
    print(json.dumps({**{k: round(v / count, 4) for k, v in total.items()}, "tokens": count}))


if __name__ == "__main__":
    main()
