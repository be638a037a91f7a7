"""Errors of the completion engine, each with a one-line message that says what to do."""

from __future__ import annotations


class CompletionError(Exception):
    """Base class: every engine error carries a one-line, user-facing reason."""


class ModelNotFoundError(CompletionError):
    """The model directory does not exist."""


class TokenizerNotFoundError(CompletionError):
    """The model directory has no tokenizer.json."""


class NotADecoderModelError(CompletionError):
    """The directory holds something other than a CTranslate2 decoder (generator) model."""


class ModelLoadError(CompletionError):
    """CTranslate2 could not load the model (device, compute type, corrupt files)."""


class InvalidRequestError(CompletionError):
    """The request itself is malformed (offset outside the text, bad policy numbers)."""


class GenerationCancelled(CompletionError):
    """The caller cancelled the request while the model was generating."""


class ConversionError(CompletionError):
    """A Hugging Face model could not be converted (missing files, unsupported architecture)."""


class UnsupportedLanguageError(CompletionError):
    """The model declares the languages it knows, and the document's is not one of them."""


class RemoteError(CompletionError):
    """The model server failed: unreachable, an HTTP error, or an error in its answer."""


class RemoteTimeoutError(RemoteError):
    """The model server did not answer within the request timeout."""


class RemoteResponseError(RemoteError):
    """The model server's answer cannot be used: malformed JSON, or no log-probs."""
