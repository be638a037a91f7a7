"""Reads the header of a CTranslate2 model.bin: spec name and variable shapes, without the weights."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

# CTranslate2's DataType enum order (include/ctranslate2/types.h, specs/model_spec.py).
DTYPES: tuple[str, ...] = ("float32", "int8", "int16", "int32", "float16", "bfloat16")

# Spec names CTranslate2 writes, and what kind of model each one is.
SPEC_KINDS: dict[str, str] = {
    "TransformerDecoderSpec": "decoder",
    "TransformerSpec": "encoder-decoder",
    "TransformerEncoderSpec": "encoder",
    "WhisperSpec": "speech encoder-decoder",
    "Wav2Vec2Spec": "speech encoder",
    "Wav2Vec2BertSpec": "speech encoder",
}
_LAYER = re.compile(r"decoder/layer_(\d+)/")


@dataclass(frozen=True, slots=True)
class Variable:
    """One stored tensor: its scoped name, shape and CTranslate2 dtype."""

    name: str
    shape: tuple[int, ...]
    dtype: str


@dataclass(frozen=True, slots=True)
class ModelHeader:
    """What model.bin says about itself."""

    binary_version: int
    spec: str  # e.g. "TransformerDecoderSpec"
    revision: int
    variables: tuple[Variable, ...]

    @property
    def kind(self) -> str:
        """decoder, encoder-decoder, encoder, speech ... or "unknown"."""
        return SPEC_KINDS.get(self.spec, "unknown")

    def find(self, name: str) -> Variable | None:
        return next((v for v in self.variables if v.name == name), None)

    @property
    def layers(self) -> int:
        """Decoder layers (``decoder/layer_N/...``)."""
        return len({m.group(1) for v in self.variables if (m := _LAYER.match(v.name))})

    @property
    def embedding_shape(self) -> tuple[int, ...] | None:
        """(vocabulary rows, hidden size) of the decoder's token embeddings."""
        v = self.find("decoder/embeddings/weight") or self.find("decoder/embeddings_0/weight")
        return v.shape if v else None

    @property
    def weight_dtype(self) -> str:
        """The dtype of the linear layers' weights: the quantization the model was saved with."""
        counts: dict[str, int] = {}
        for v in self.variables:
            if v.name.endswith("/weight") and "/linear" in v.name:
                counts[v.dtype] = counts.get(v.dtype, 0) + 1
        return max(counts, key=lambda k: counts[k]) if counts else "unknown"


class ModelBinError(ValueError):
    """model.bin is truncated or not a CTranslate2 model."""


def read_header(path: str | Path) -> ModelHeader:
    """Parses model.bin's header and variable table, seeking past the weight bytes.

    Args:
        path: the model.bin file.

    Returns:
        The spec name, revision and every variable's name, shape and dtype.

    Raises:
        ModelBinError: the file is not a CTranslate2 model (or is truncated).
    """
    with open(path, "rb") as f:

        def unpack(fmt: str):
            size = struct.calcsize(fmt)
            raw = f.read(size)
            if len(raw) != size:
                raise ModelBinError("truncated")
            return struct.unpack(fmt, raw)[0]

        def string() -> str:
            n = unpack("<H")
            raw = f.read(n)
            if len(raw) != n:
                raise ModelBinError("truncated")
            if not raw.endswith(b"\0"):
                raise ModelBinError("not a CTranslate2 model file")
            return raw[:-1].decode("utf-8", errors="replace")

        version = unpack("<I")
        if not 1 <= version <= 64:
            raise ModelBinError(f"not a CTranslate2 model file (binary version {version})")
        spec = string() if version >= 2 else ""
        revision = unpack("<I") if version >= 2 else 1
        variables = []
        # The variable table layout below is that of binary versions 5 and 6 (CTranslate2 3.x
        # and 4.x); older files report their spec only.
        for _ in range(unpack("<I") if version >= 5 else 0):
            name = string()
            shape = tuple(unpack("<I") for _ in range(unpack("<B")))
            type_id = unpack("<B")
            nbytes = unpack("<I")
            f.seek(nbytes, 1)
            dtype = DTYPES[type_id] if type_id < len(DTYPES) else f"type{type_id}"
            variables.append(Variable(name, shape, dtype))
    return ModelHeader(version, spec, revision, tuple(variables))
