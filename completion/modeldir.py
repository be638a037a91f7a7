"""What a model directory holds and whether it will load: checks with one-line reasons."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .errors import (
    ModelLoadError,
    ModelNotFoundError,
    NotADecoderModelError,
    TokenizerNotFoundError,
)
from .modelbin import ModelBinError, read_header

# The devices a model can run on ("auto": CUDA when CTranslate2 sees a GPU).
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")


def resolve_device(device: str) -> str:
    """ "auto" -> "cuda" when CTranslate2 sees a GPU, else "cpu"; an unknown device is an error."""
    import ctranslate2

    if device not in DEVICES:
        raise ModelLoadError(f"device must be one of {', '.join(DEVICES)}, not {device!r}")
    if device == "auto":
        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    return device


def resolve_compute(device: str, compute_type: str) -> str:
    """ "auto" -> int8 on CPU, int8_float16 on GPU; anything else as given."""
    if compute_type != "auto":
        return compute_type
    return "int8_float16" if device == "cuda" else "int8"


def model_hash(path: Path) -> str:
    """A short, stable id of the model files (config + first MB of the weights)."""
    h = hashlib.sha256()
    for name in ("config.json", "model.bin"):
        f = path / name
        if f.exists():
            with f.open("rb") as fh:
                h.update(fh.read(1 << 20))
            h.update(str(f.stat().st_size).encode())
    return h.hexdigest()[:12]


def check_model_dir(path: Path) -> dict:
    """Validates a model directory and returns its config.json; raises with a one-line reason."""
    if not path.exists():
        raise ModelNotFoundError(f"model directory not found: {path}")
    if not path.is_dir():
        raise ModelNotFoundError(f"model path is not a directory: {path}")
    if not (path / "model.bin").exists():
        raise NotADecoderModelError(
            f"{path} has no model.bin: convert the model first with "
            "'entropy-complete convert HF_MODEL_DIR OUT_DIR'"
        )
    if not (path / "tokenizer.json").exists():
        raise TokenizerNotFoundError(
            f"{path} has no tokenizer.json: copy the model's tokenizer.json there, or convert "
            "with 'entropy-complete convert' (it copies it)"
        )
    try:
        header = read_header(path / "model.bin")
    except (OSError, ModelBinError) as e:
        raise ModelLoadError(f"{path}/model.bin is {e}: convert the model again") from e
    if header.kind != "decoder":
        raise NotADecoderModelError(
            f"{path} holds a CTranslate2 {header.kind} model ({header.spec}): "
            "entropy-complete needs a decoder-only language model"
        )
    try:
        config = (
            json.loads((path / "config.json").read_text())
            if (path / "config.json").exists()
            else {}
        )
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"{path}/config.json is unreadable: {e}") from e
    spec = str(config.get("architecture", config.get("model_type", ""))).lower()
    if (
        any(k in spec for k in ("whisper", "transformer_base", "encoder"))
        or "decoder_start_token" in config
    ):
        raise NotADecoderModelError(
            f"{path} is an encoder-decoder or speech model; entropy-complete needs a decoder-only LM"
        )
    return config
