"""What a model directory holds and whether it will load: checks with one-line reasons."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

from .errors import (
    ModelLoadError,
    ModelNotFoundError,
    NotADecoderModelError,
    TokenizerNotFoundError,
)
from .fim import PROMPT_FORMATS
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


META_FILE = "entropy-complete.json"  # what entropy-complete knows of a model (convert writes it)
# A model's own prompt layout: any resolved format ("auto" is what a user setting may say).
MODEL_FORMATS = tuple(f for f in PROMPT_FORMATS if f != "auto")

# The files a model directory may hold that loading reads.
MODEL_FILES = (
    "model.bin",
    "tokenizer.json",
    "config.json",
    "vocabulary.json",
    META_FILE,
    "confidence.json",
    *(f"confidence.{fmt}.json" for fmt in MODEL_FORMATS),  # ranking.confidence.layout_file
)


def check_model_dir(path: Path) -> dict:
    """Validates a model directory and returns its config.json; raises with a one-line reason."""
    if not path.exists():
        raise ModelNotFoundError(f"model directory not found: {path}")
    if not path.is_dir():
        raise ModelNotFoundError(f"model path is not a directory: {path}")
    for name in MODEL_FILES:
        # A FIFO or device would block the loading thread for good on its first read.
        f = path / name
        if f.exists() and not stat.S_ISREG(f.stat().st_mode):
            raise ModelLoadError(f"{f} is not a regular file: point model.path at a real model")
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


# Below this many bytes of weights (~100M int8 parameters) one thread decodes fastest: a step
# is too small to split, and the synchronisation costs more than it saves. Measured on the
# shipped 10M model, 2-core machine, 20 typing requests through the server: p50 46-52 ms with
# one thread against 224-311 ms with CTranslate2's default; raw CTranslate2, 4 candidates of 48
# tokens after a 700-token prompt: 332 ms on one thread, 907 ms on two.
SMALL_MODEL_BYTES = 100_000_000


def auto_threads(model_dir: Path) -> int:
    """The thread count for ``threads=0`` on CPU: 1 for small models, else 0 (all cores)."""
    try:
        size = (model_dir / "model.bin").stat().st_size
    except OSError:
        return 0
    return 1 if size < SMALL_MODEL_BYTES else 0


def declared_languages(value: object) -> tuple[str, ...] | None:
    """entropy-complete.json's ``languages``: a list of grammar names, or absent/"all" for any."""
    if value is None or value == "all":
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ModelLoadError(
            f'entropy-complete.json: "languages" must be a list of names or "all", not {value!r}'
        )
    return tuple(value)


def read_meta(model_dir: Path) -> dict:
    """A model directory's entropy-complete.json, its fields checked ({} when there is none).

    Raises:
        ModelLoadError: one line naming the file and what is wrong with it.
    """
    f = Path(model_dir) / META_FILE
    if not f.exists():
        return {}
    try:
        meta = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"{f} cannot be read: {e}") from None
    if not isinstance(meta, dict):
        raise ModelLoadError(f"{f} must hold a JSON object, not a {type(meta).__name__}")
    ctx = meta.get("context_length", 2048)
    if isinstance(ctx, bool) or not isinstance(ctx, int) or ctx < 16:
        raise ModelLoadError(f'{f}: "context_length" must be a number of tokens, not {ctx!r}')
    if meta.get("prompt_format", "fim") not in MODEL_FORMATS:
        raise ModelLoadError(
            f'{f}: "prompt_format" must be one of {", ".join(MODEL_FORMATS)}, '
            f"not {meta['prompt_format']!r}"
        )
    try:
        declared_languages(meta.get("languages"))
    except ModelLoadError as e:
        raise ModelLoadError(f"{f}: {str(e).removeprefix(META_FILE + ': ')}") from None
    return meta
