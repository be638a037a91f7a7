"""What a model directory holds and whether the engine can run it: the `models check` report."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .engine import CT2Engine
from .errors import CompletionError, ModelLoadError
from .fim import detect, stop_tokens
from .modelbin import ModelBinError, read_header
from .modeldir import META_FILE, read_meta, resolve_compute

# CTranslate2 writes one of these beside model.bin (older versions: .txt, seq2seq: shared_).
VOCAB_FILES: tuple[str, ...] = (
    "vocabulary.json",
    "vocabulary.txt",
    "shared_vocabulary.json",
    "shared_vocabulary.txt",
)


@dataclass(frozen=True, slots=True)
class DeviceSupport:
    """A device CTranslate2 can use here, and the compute types it supports on it."""

    device: str
    count: int
    compute_types: tuple[str, ...]
    auto: str  # what the engine's compute type "auto" becomes there


@dataclass(frozen=True, slots=True)
class ModelReport:
    """Everything `models check` says about a directory; ``reason`` is set when it won't work."""

    path: str
    ok: bool = False
    reason: str | None = None
    spec: str | None = None  # model.bin spec, e.g. TransformerDecoderSpec
    kind: str | None = None  # decoder, encoder-decoder, encoder, speech ...
    architecture: str | None = None  # Hugging Face architecture when the metadata records it
    layers: int | None = None
    hidden_size: int | None = None
    model_vocab: int | None = None  # embedding rows in model.bin
    tokenizer_vocab: int | None = None
    weights: str | None = None  # dtype of the stored weights (the conversion's quantization)
    size_mb: float = 0.0
    family: str | None = None  # FIM family, "plain" for prefix-only
    fim: dict | None = None
    stop_tokens: tuple[str, ...] = ()
    context_length: int | None = None
    metadata: bool = False  # entropy-complete.json present
    devices: tuple[DeviceSupport, ...] = ()
    device: str | None = None  # the device/compute type the engine would use
    compute_type: str | None = None
    load_seconds: float | None = None  # set when the model was actually loaded
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict:
        return asdict(self)


def devices() -> tuple[DeviceSupport, ...]:
    """CPU always; CUDA when CTranslate2 sees a GPU."""
    import ctranslate2

    out = []
    for dev, count in (("cpu", 1), ("cuda", ctranslate2.get_cuda_device_count())):
        if count > 0:
            types = tuple(sorted(ctranslate2.get_supported_compute_types(dev)))
            out.append(DeviceSupport(dev, count, types, resolve_compute(dev, "auto")))
    return tuple(out)


def read_vocab(path: Path) -> list[str] | None:
    for name in VOCAB_FILES:
        f = path / name
        if f.exists():
            text = f.read_text(encoding="utf-8")
            return json.loads(text) if name.endswith(".json") else text.split("\n")
    return None


# Each check reads the report so far and returns (report with more facts, reason or None).
Check = Callable[[ModelReport, Path], tuple[ModelReport, str | None]]


def _files(r: ModelReport, path: Path) -> tuple[ModelReport, str | None]:
    if (path / "model.bin").exists():
        return r, None
    try:
        archs = json.loads((path / "config.json").read_text()).get("architectures")
    except (OSError, ValueError, AttributeError):
        archs = None
    if archs:
        return replace(r, architecture=archs[0]), (
            f"{path} is a Hugging Face model ({archs[0]}), not a CTranslate2 one: "
            f"run 'entropy-complete convert {path} OUT_DIR'"
        )
    return r, f"{path} has no model.bin: convert the model with 'entropy-complete convert'"


def _header(r: ModelReport, path: Path) -> tuple[ModelReport, str | None]:
    try:
        h = read_header(path / "model.bin")
    except (OSError, ModelBinError) as e:
        return r, f"{path}/model.bin is {e}: convert the model again"
    emb = h.embedding_shape
    r = replace(
        r,
        spec=h.spec,
        kind=h.kind,
        layers=h.layers or None,
        hidden_size=emb[1] if emb and len(emb) == 2 else None,
        model_vocab=emb[0] if emb else None,
        weights=h.weight_dtype,
        size_mb=round((path / "model.bin").stat().st_size / 1e6, 1),
    )
    if h.kind != "decoder":
        return r, (
            f"{path} holds a CTranslate2 {h.kind} model ({h.spec or 'unknown spec'}): "
            "entropy-complete needs a decoder-only language model"
        )
    return r, None


def _tokenizer(r: ModelReport, path: Path) -> tuple[ModelReport, str | None]:
    from tokenizers import Tokenizer

    if not (path / "tokenizer.json").exists():
        return r, (
            f"{path} has no tokenizer.json: copy the model's tokenizer.json there "
            "(converters need --copy_files tokenizer.json)"
        )
    try:
        tok = Tokenizer.from_file(str(path / "tokenizer.json"))
    except Exception as e:  # tokenizers raises a bare Exception on bad JSON
        return r, f"{path}/tokenizer.json cannot be read ({str(e).splitlines()[0]}): replace it"
    vocab = tok.get_vocab()
    tpl = detect(vocab)
    fim = {"prefix": tpl.prefix, "suffix": tpl.suffix, "middle": tpl.middle} if tpl else None
    r = replace(
        r,
        tokenizer_vocab=tok.get_vocab_size(),
        family=tpl.family if tpl else "plain",
        fim=fim,
        stop_tokens=stop_tokens(vocab, tpl),
    )
    model_vocab = read_vocab(path)
    if model_vocab is None:
        return r, None
    size = tok.get_vocab_size()
    wrong = [
        i for i in range(size) if i >= len(model_vocab) or model_vocab[i] != tok.id_to_token(i)
    ]
    if wrong:
        return r, (
            f"tokenizer.json does not match the model's vocabulary ({len(wrong)} of {size} ids "
            f"differ, first at id {wrong[0]}): use the tokenizer.json of the converted model"
        )
    return r, None


def _metadata(r: ModelReport, path: Path) -> tuple[ModelReport, str | None]:
    notes = list(r.notes)
    try:
        meta = read_meta(path)
    except ModelLoadError as e:  # the engine refuses such a file, so the model is not usable
        return r, str(e)
    if meta and meta.get("family") not in (None, r.family):
        notes.append(f"{META_FILE} says family {meta['family']}, the tokenizer says {r.family}")
    if r.family == "plain":
        notes.append("no FIM tokens: prompts are prefix-only (text after the cursor is unused)")
    if not meta:
        notes.append(f"no {META_FILE}: context length defaults to 2048 tokens")
    r = replace(
        r,
        metadata=bool(meta),
        architecture=meta.get("architecture") or r.architecture,
        context_length=int(meta.get("context_length", 2048)),
        notes=tuple(notes),
    )
    return r, None


CHECKS: tuple[Check, ...] = (_files, _header, _tokenizer, _metadata)


def _placement(r: ModelReport, device: str, compute_type: str) -> tuple[ModelReport, str | None]:
    devs = devices()
    r = replace(r, devices=devs)
    by_name = {d.device: d for d in devs}
    dev = ("cuda" if "cuda" in by_name else "cpu") if device == "auto" else device
    if dev not in by_name:
        return r, f"no {dev} device visible to CTranslate2: use --device cpu"
    ctype = by_name[dev].auto if compute_type == "auto" else compute_type
    r = replace(r, device=dev, compute_type=ctype)
    if ctype not in by_name[dev].compute_types and ctype != "default":
        supported = ", ".join(by_name[dev].compute_types)
        return r, f"compute type {ctype} is not supported on {dev} here: pass one of {supported}"
    return r, None


def _load(r: ModelReport, path: Path) -> tuple[ModelReport, str | None]:
    from .prompt import build
    from .types import SamplingPolicy

    t = time.perf_counter()
    try:
        engine = CT2Engine(path, r.device or "cpu", r.compute_type or "auto", threads=1)
        prompt = build(engine.tokenizer, engine.vocab_text, engine.template, "x = ", 4, 32)
        engine.generate(prompt, SamplingPolicy(n=1, max_new_tokens=2))
    except CompletionError as e:
        return r, str(e)
    return replace(r, load_seconds=round(time.perf_counter() - t, 3)), None


def check(
    path: str | Path, device: str = "auto", compute_type: str = "auto", load: bool = False
) -> ModelReport:
    """Inspects a model directory; the report's ``reason`` says in one line why it won't work.

    Args:
        path: a CTranslate2 model directory.
        device: the device to check for ("auto": CUDA when visible, else CPU).
        compute_type: the compute type to check ("auto": what the engine would pick).
        load: also load the model and generate two tokens (slower, but proves it runs).

    Returns:
        The report; ``ok`` is True when nothing stands in the way.
    """
    path = Path(path).expanduser()
    r = ModelReport(str(path))
    if not path.is_dir():
        return replace(r, reason=f"model directory not found: {path}")
    for step in CHECKS:
        r, reason = step(r, path)
        if reason:
            return replace(r, reason=reason)
    r, reason = _placement(r, device, compute_type)
    if reason is None and load:
        r, reason = _load(r, path)
    return replace(r, ok=reason is None, reason=reason)
