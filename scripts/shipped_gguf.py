"""Converts the shipped model (training/weights: Hugging Face Llama, fp16 safetensors) to GGUF with
llama.cpp's own converter, so llama.cpp's server can serve it.

Usage: python scripts/shipped_gguf.py OUT.gguf [--llama-src SDIST_OR_DIR] [--outtype f32|f16|q8_0]

The converter (``convert_hf_to_gguf.py`` with its ``gguf-py``) ships in llama-cpp-python's
source distribution under ``vendor/llama.cpp/``; ``--llama-src`` (or ``$LLAMA_CPP_PYTHON_SDIST``)
names the tarball or an unpacked llama.cpp tree. It needs torch and transformers (the
``convert`` extra).

The tokenizer's pre-tokenizer is our own (split off newline runs, then GPT-2's byte-level
regex), so the converter's table of known pre-tokenizer hashes does not have it. The
converter's documented way is to register the hash with the pre-tokenizer llama.cpp should run
(``convert_hf_to_gguf_update.py``); we register it at conversion time, as ``gpt-2``, after
checking that the two give the same tokens: none of the tokenizer's merges joins a newline to
anything but a newline, so BPE never crosses a newline run, and GPT-2's regex alone yields the
same pieces once merged. ``tests/remote`` checks llama.cpp's tokens against ``tokenizers``'.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "training" / "weights"
PRE_TOKENIZER = "gpt-2"


def equivalent_to_gpt2(tokenizer_json: Path) -> str | None:
    """None when GPT-2's pre-tokenizer gives this tokenizer's tokens, else why not."""
    tok = json.loads(tokenizer_json.read_text())
    pre = tok.get("pre_tokenizer") or {}
    steps = pre.get("pretokenizers", []) if pre.get("type") == "Sequence" else [pre]
    kinds = [(s.get("type"), s.get("pattern", {}).get("Regex"), s.get("behavior")) for s in steps]
    if kinds != [("Split", "\\n+", "Isolated"), ("ByteLevel", None, None)]:
        return f"pre-tokenizer is {kinds}, not newline runs + byte-level"
    if not steps[1].get("use_regex", True) or steps[1].get("add_prefix_space"):
        return "byte-level step without GPT-2's regex, or with a prefix space"
    nl = "Ċ"  # byte-level spelling of "\n"
    for merge in tok["model"]["merges"]:
        a, b = merge.split(" ") if isinstance(merge, str) else merge
        if any(nl in s and set(s) != {nl} for s in (a, b)) or ((nl in a) != (nl in b)):
            return f"merge {a!r} + {b!r} joins a newline to other text"
    return None


def converter_dir(src: Path, cache: Path) -> Path:
    """A directory holding convert_hf_to_gguf.py and gguf-py (unpacked from the sdist)."""
    for d in (src, src / "vendor" / "llama.cpp"):
        if (d / "convert_hf_to_gguf.py").exists():
            return d
    out = cache / src.name.removesuffix(".tar.gz")
    if not (out / "convert_hf_to_gguf.py").exists():
        out.mkdir(parents=True, exist_ok=True)
        with tarfile.open(src) as tar:
            for m in tar.getmembers():
                rel = m.name.split("/vendor/llama.cpp/", 1)
                if len(rel) == 2 and (
                    rel[1] == "convert_hf_to_gguf.py" or rel[1].startswith("gguf-py/")
                ):
                    m.name = rel[1]
                    tar.extract(m, out, filter="data")
    return out


def convert(out: Path, src: Path, outtype: str = "f32") -> Path:
    """Writes the shipped model as GGUF to ``out`` (in this process: it imports torch)."""
    why = equivalent_to_gpt2(WEIGHTS / "tokenizer.json")
    if why:
        raise SystemExit(f"cannot map the tokenizer to a llama.cpp pre-tokenizer: {why}")
    conv_dir = converter_dir(src, out.parent / ".llama-converter")
    sys.path[:0] = [str(conv_dir), str(conv_dir / "gguf-py")]
    import convert_hf_to_gguf as conv  # type: ignore[import-not-found]
    import gguf  # type: ignore[import-not-found]

    class ShippedLlama(conv.LlamaModel):  # type: ignore[misc,name-defined]
        model_arch = conv.LlamaModel.model_arch

        def set_vocab(self) -> None:
            # Byte-level BPE from tokenizer.json (Llama's own path tries SentencePiece first).
            self._set_vocab_gpt2()
            # The tokenizer adds no BOS (its post-processor is empty), nor do our prompts.
            self.gguf_writer.add_add_bos_token(False)

        def get_vocab_base_pre(self, tokenizer) -> str:
            try:
                return super().get_vocab_base_pre(tokenizer)
            except NotImplementedError:
                return PRE_TOKENIZER  # checked equivalent above

    ftype = {
        "f32": gguf.LlamaFileType.ALL_F32,
        "f16": gguf.LlamaFileType.MOSTLY_F16,
        "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,  # what the latency suite compares int8 with
    }[outtype]
    tmp = out.with_suffix(".part")
    model = ShippedLlama(WEIGHTS, ftype, tmp, model_name="entropy-complete-default")
    model.write()
    tmp.replace(out)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", type=Path)
    p.add_argument("--llama-src", type=Path, default=os.environ.get("LLAMA_CPP_PYTHON_SDIST"))
    p.add_argument("--outtype", choices=("f32", "f16", "q8_0"), default="f32")
    args = p.parse_args()
    if args.llama_src is None:
        p.error("--llama-src (or $LLAMA_CPP_PYTHON_SDIST) must name llama-cpp-python's sdist")
    print(convert(args.out, args.llama_src, args.outtype))


if __name__ == "__main__":
    main()
