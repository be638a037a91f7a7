"""Converts a Hugging Face decoder to CTranslate2, checks that it runs, and writes its metadata."""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import CompletionError, ConversionError
from .modeldir import META_FILE

QUANTIZATIONS: tuple[str, ...] = (
    "int8",
    "int8_float32",
    "int8_float16",
    "int8_bfloat16",
    "int16",
    "float16",
    "bfloat16",
    "float32",
)
# Copied beside model.bin when the Hugging Face directory has them; tokenizer.json is required.
TOKENIZER_FILES: tuple[str, ...] = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
)
# Where Hugging Face configs keep the context length, by the names the families use.
CONTEXT_KEYS: tuple[str, ...] = ("max_position_embeddings", "n_positions", "seq_length", "n_ctx")
# Architectures whose names end like this are decoder-only language models.
CAUSAL_SUFFIXES: tuple[str, ...] = ("ForCausalLM", "LMHeadModel")
_PROBE = "import os\n\n\ndef read(path):\n    with open(path) as f:\n        return "


@dataclass(frozen=True, slots=True)
class ConversionResult:
    """A converted, validated model directory."""

    out_dir: Path
    meta: dict  # what was written to entropy-complete.json
    seconds: float
    sample: str  # the text the converted model generated during validation


def read_hf_config(hf_dir: Path) -> dict:
    """The Hugging Face config.json of a local model directory, or ConversionError."""
    if not hf_dir.is_dir():
        raise ConversionError(
            f"{hf_dir} is not a directory: download the model first "
            "(e.g. 'huggingface-cli download ORG/MODEL --local-dir DIR') and pass DIR"
        )
    cfg = hf_dir / "config.json"
    if not cfg.exists():
        raise ConversionError(f"{hf_dir} has no config.json: pass a Hugging Face model directory")
    try:
        return json.loads(cfg.read_text())
    except (OSError, ValueError) as e:
        raise ConversionError(f"{cfg} is unreadable: {e}") from e


def context_length(config: dict) -> int | None:
    """The model's context length from its config (nested text configs included)."""
    for cfg in (config, config.get("text_config") or {}):
        for key in CONTEXT_KEYS:
            value = cfg.get(key)
            if isinstance(value, int) and value > 0:
                return value
    return None


def check_decoder(config: dict, hf_dir: Path) -> str:
    """Returns the architecture name; ConversionError unless it is a decoder-only LM."""
    archs = config.get("architectures") or []
    arch = archs[0] if archs else str(config.get("model_type", "unknown"))
    if config.get("is_encoder_decoder"):
        raise ConversionError(
            f"{hf_dir} holds an encoder-decoder model ({arch}): use a decoder-only code model"
        )
    if archs and not any(a.endswith(CAUSAL_SUFFIXES) for a in archs):
        raise ConversionError(
            f"{hf_dir} holds {arch}, not a causal language model: use a decoder-only code model"
        )
    return arch


def _converter_for(hf_dir: Path):
    """The CTranslate2 converter, after checking the extra and the architecture's loader."""
    try:
        import torch  # noqa: F401
        import transformers
        from ctranslate2.converters import TransformersConverter
        from ctranslate2.converters import transformers as ct2_hf
    except ImportError as e:
        raise ConversionError(
            f"converting needs torch and transformers ({e.name} is missing): "
            "pip install 'entropy-complete[convert]'"
        ) from e
    try:
        name = type(transformers.AutoConfig.from_pretrained(str(hf_dir))).__name__
    except (OSError, ValueError, KeyError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ConversionError(f"transformers cannot read {hf_dir}/config.json: {first}") from e
    loaders = getattr(ct2_hf, "_MODEL_LOADERS", None)
    if loaders is not None and name not in loaders:
        import ctranslate2

        raise ConversionError(
            f"CTranslate2 {ctranslate2.__version__} has no converter for {name}: "
            "see the supported families in the README ('Use your own model')"
        )
    return TransformersConverter


def _tokenizer_json(hf_dir: Path, scratch: Path) -> Path:
    """tokenizer.json of the model, made from a slow tokenizer's files when it has none."""
    if (hf_dir / "tokenizer.json").exists():
        return hf_dir / "tokenizer.json"
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(str(hf_dir), use_fast=True)
        tok.save_pretrained(str(scratch))
    except Exception as e:  # tokenizer backends raise many types (OSError, ValueError, ImportError)
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ConversionError(
            f"{hf_dir} has no tokenizer.json and its tokenizer cannot be converted ({first}): "
            "install sentencepiece and protobuf, or add the model's tokenizer.json"
        ) from e
    made = scratch / "tokenizer.json"
    if not made.exists():
        raise ConversionError(
            f"{hf_dir} has no tokenizer.json and transformers made none: add the model's tokenizer.json"
        )
    return made


def _prepare_out(out_dir: Path, hf_dir: Path, force: bool) -> None:
    if out_dir.resolve() == hf_dir.resolve() or hf_dir.resolve().is_relative_to(out_dir.resolve()):
        raise ConversionError(f"{out_dir} holds the source model: choose another output directory")
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        if not force:
            raise ConversionError(f"{out_dir} already exists: pass --force to replace it")
        if not (out_dir / "model.bin").exists():
            # --force replaces converted models only, never an arbitrary directory.
            raise ConversionError(
                f"{out_dir} is not empty and holds no model.bin: choose an empty or new directory"
            )


def validate(out_dir: Path, threads: int = 0) -> tuple[object, str]:
    """Loads the converted model, generates a few tokens; returns the engine and the text."""
    from .engine import CT2Engine
    from .prompt import build
    from .types import SamplingPolicy

    engine = CT2Engine(out_dir, device="cpu", threads=threads)
    prompt = build(
        engine.tokenizer, engine.vocab_text, engine.template, _PROBE, len(_PROBE), 64, heal=False
    )
    samples, _ = engine.generate(prompt, SamplingPolicy(n=1, max_new_tokens=4))
    sample = samples[0]
    if not sample.token_ids or not all(math.isfinite(e) and e >= 0 for e in sample.entropies):
        raise ConversionError(
            f"{out_dir} loads but generates nothing usable: re-run the conversion"
        )
    text, _ = engine.decode_pieces(prompt, sample.token_ids)
    return engine, text


def metadata(
    engine, config: dict, arch: str, quantization: str, hf_dir: Path, context: int | None = None
) -> dict:
    """The entropy-complete.json the engine and `models check` read."""
    import ctranslate2

    tpl = engine.template
    fim = None
    if tpl is not None:
        fim = {"prefix": tpl.prefix, "suffix": tpl.suffix, "middle": tpl.middle}
        fim.update({"bos": tpl.bos} if tpl.bos else {})
        fim.update({"prefix_sep": tpl.prefix_sep} if tpl.prefix_sep else {})
    versions = {"ctranslate2": ctranslate2.__version__}
    try:
        import transformers

        versions["transformers"] = transformers.__version__
    except ImportError:
        pass
    return {
        "family": engine.info.family,
        "fim": fim,
        "stop_tokens": list(engine.stops),
        "context_length": context or context_length(config) or 2048,
        "model_context_length": context_length(config),
        "architecture": arch,
        "model_type": config.get("model_type"),
        "quantization": quantization,
        "vocab_size": engine.info.vocab_size,
        "source": hf_dir.name,
        "converted_with": versions,
    }


def convert(
    hf_dir: str | Path,
    out_dir: str | Path,
    quantization: str = "int8",
    force: bool = False,
    threads: int = 0,
    context: int | None = None,
) -> ConversionResult:
    """Converts ``hf_dir`` into a CTranslate2 model in ``out_dir`` and validates it.

    The conversion is written to a sibling temporary directory and moved into place only once
    the model loads, generates and its FIM format is known, so a failed run leaves no half model.

    Args:
        hf_dir: a local Hugging Face model directory (config.json, weights, tokenizer).
        out_dir: where the CTranslate2 model goes.
        quantization: one of QUANTIZATIONS (int8 runs on every CPU; int8_float16 is for GPUs).
        force: replace an existing converted model in ``out_dir``.
        threads: CPU threads for the validation run (0: CTranslate2's default).
        context: the context length the engine may fill (prompt + completion); default the
            model's own (max_position_embeddings). Smaller means faster prompts on CPU.

    Returns:
        The output directory, the metadata written, the seconds taken and a sample text.
    """
    t0 = time.perf_counter()
    hf_dir, out_dir = Path(hf_dir).expanduser(), Path(out_dir).expanduser()
    if context is not None and context < 64:
        raise ConversionError(f"context length {context} is too small: use at least 64 tokens")
    if quantization not in QUANTIZATIONS:
        raise ConversionError(
            f"unknown quantization {quantization!r}: use one of {', '.join(QUANTIZATIONS)}"
        )
    config = read_hf_config(hf_dir)
    arch = check_decoder(config, hf_dir)
    _prepare_out(out_dir, hf_dir, force)
    converter_cls = _converter_for(hf_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out_dir.name}.", dir=out_dir.parent) as tmp:
        scratch, staged = Path(tmp) / "tokenizer", Path(tmp) / "model"
        tok_json = _tokenizer_json(hf_dir, scratch)
        copies = [n for n in TOKENIZER_FILES[1:] if (hf_dir / n).exists()]
        try:
            converter = converter_cls(str(hf_dir), copy_files=copies, low_cpu_mem_usage=True)
            converter.convert(str(staged), quantization=quantization, force=True)
        except (ValueError, NotImplementedError, OSError, RuntimeError, KeyError) as e:
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise ConversionError(f"ct2-transformers-converter failed on {hf_dir}: {first}") from e
        shutil.copy(tok_json, staged / "tokenizer.json")
        try:
            engine, sample = validate(staged, threads)
        except CompletionError as e:
            raise ConversionError(f"the converted model does not run: {e}") from e
        meta = metadata(engine, config, arch, quantization, hf_dir, context)
        del engine  # release model.bin before it moves
        (staged / META_FILE).write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        shutil.move(str(staged), str(out_dir))
    return ConversionResult(out_dir, meta, time.perf_counter() - t0, sample)
