"""The completion engine: CTranslate2 generation with per-token entropy, prompts and post-processing."""

from __future__ import annotations

from .backend import Engine, ModelInfo
from .engine import DEFAULT_MODEL_DIR, CT2Engine
from .errors import (
    CompletionError,
    ConversionError,
    GenerationCancelled,
    InvalidRequestError,
    ModelLoadError,
    ModelNotFoundError,
    NotADecoderModelError,
    TokenizerNotFoundError,
    UnsupportedLanguageError,
)
from .pipeline import CompletionResult, complete
from .types import Candidate, CompletionRequest, GenerationTimings, Mode, Sample, SamplingPolicy

__all__ = [
    "DEFAULT_MODEL_DIR",
    "CT2Engine",
    "Candidate",
    "CompletionError",
    "ConversionError",
    "CompletionRequest",
    "CompletionResult",
    "Engine",
    "GenerationCancelled",
    "GenerationTimings",
    "InvalidRequestError",
    "UnsupportedLanguageError",
    "Mode",
    "ModelInfo",
    "ModelLoadError",
    "ModelNotFoundError",
    "NotADecoderModelError",
    "Sample",
    "SamplingPolicy",
    "TokenizerNotFoundError",
    "complete",
]
