"""Builds a Qwen2.5-Coder-0.5B-shaped model with random weights twice: CTranslate2 int8 and
llama.cpp GGUF Q8_0 (converted by llama.cpp's own converter), for the latency suite.

    pip install -e ".[convert]"           # torch + transformers
    python scripts/arch_models.py WORKDIR [--llama-src llama_cpp_python-0.3.16.tar.gz]
    entropy-complete bench --suite latency --model WORKDIR/ct2 --gguf WORKDIR/model-q8_0.gguf \\
        --random-weights --replay-lines 0

Speed does not depend on the weights' values when the same number of tokens is generated, so
random weights time the architecture (``--random-weights`` makes every method generate the
full ``max_tokens``). The converter comes from llama-cpp-python's source distribution
(``--llama-src`` or ``$LLAMA_CPP_PYTHON_SDIST``), as for ``scripts/shipped_gguf.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from latency_arch import build_model  # noqa: E402
from shipped_gguf import converter_dir  # noqa: E402


def to_gguf(hf: Path, out: Path, src: Path) -> Path:
    """HF Qwen2 -> GGUF Q8_0 with llama.cpp's converter (its Qwen2 class, GPT-2 pre-tokenizer:
    the tokenizer here is plain byte-level BPE)."""
    conv_dir = converter_dir(src, out.parent / ".llama-converter")
    sys.path[:0] = [str(conv_dir), str(conv_dir / "gguf-py")]
    import convert_hf_to_gguf as conv  # type: ignore[import-not-found]
    import gguf  # type: ignore[import-not-found]

    class RandomQwen2(conv.Qwen2Model):  # type: ignore[misc,name-defined]
        model_arch = conv.Qwen2Model.model_arch

        def set_vocab(self) -> None:
            self._set_vocab_gpt2()  # byte-level BPE from tokenizer.json, no SentencePiece

        def get_vocab_base_pre(self, tokenizer) -> str:
            try:
                return super().get_vocab_base_pre(tokenizer)
            except NotImplementedError:
                return "gpt-2"  # byte-level BPE with GPT-2's regex, nothing else

    model = RandomQwen2(hf, gguf.LlamaFileType.MOSTLY_Q8_0, out, model_name="qwen2-0.5b-shape")
    model.write()
    return out


def main() -> int:
    from completion.convert import convert

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("workdir", type=Path)
    p.add_argument("--llama-src", type=Path, default=os.environ.get("LLAMA_CPP_PYTHON_SDIST"))
    p.add_argument("--layers", type=int, default=24, help="decoder layers (24: the real shape)")
    args = p.parse_args()
    if args.llama_src is None:
        p.error("--llama-src (or $LLAMA_CPP_PYTHON_SDIST) must name llama-cpp-python's sdist")
    args.workdir.mkdir(parents=True, exist_ok=True)
    hf = args.workdir / "hf"
    if not (hf / "config.json").exists():
        hf = build_model(args.workdir, args.layers)
    ct2 = args.workdir / "ct2"
    if not (ct2 / "model.bin").exists():
        convert(hf, ct2, quantization="int8", force=True)
        # The window an editor on a CPU would use (the model's own 32k would time prefill alone).
        meta = json.loads((ct2 / "entropy-complete.json").read_text())
        (ct2 / "entropy-complete.json").write_text(json.dumps({**meta, "context_length": 1024}))
    print(to_gguf(hf, args.workdir / "model-q8_0.gguf", args.llama_src))
    shutil.rmtree(hf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
