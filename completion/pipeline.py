"""One completion request end to end in the engine: prompt, generation, post-processing."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from .backend import Engine
from .errors import InvalidRequestError, UnsupportedLanguageError
from .postprocess import make_candidates
from .prompt import Prompt, build
from .types import Candidate, CompletionRequest, GenerationTimings, Mode, Sample

_EMPTY_PROMPT = Prompt(ids=(), heal_text="", heal_ids=(), prefix="", suffix="", fim=False)


@dataclass(frozen=True, slots=True)
class CompletionResult:
    """The candidates of one request and how they were made."""

    candidates: tuple[Candidate, ...]
    prompt: Prompt
    language: str | None  # grammar name ("python"), None when unknown
    timings: GenerationTimings
    n_samples: int
    # Decoding steps after which every candidate fell below ``policy.give_up``, so none
    # can be shown (0: decoded to the end). The candidates are then cut short.
    gave_up_at: int = 0


# The sampling ranges a request must keep (the CLI and the server's options check the same):
# CTranslate2 takes a seed as an unsigned 32-bit number.
MAX_CANDIDATES = 32
MAX_TEMPERATURE = 2
MAX_SEED = 2**32 - 1


def validate(request: CompletionRequest) -> None:
    """Raises InvalidRequestError with a one-line reason for a malformed request."""
    if not 0 <= request.offset <= len(request.text):
        raise InvalidRequestError(
            f"cursor offset {request.offset} is outside the document (length {len(request.text)})"
        )
    p = request.policy
    if not 1 <= p.n <= MAX_CANDIDATES:
        raise InvalidRequestError(f"candidates per request must be 1..{MAX_CANDIDATES}, got {p.n}")
    if not 0 <= p.temperature <= MAX_TEMPERATURE:
        raise InvalidRequestError(
            f"temperature must be 0..{MAX_TEMPERATURE:g}, got {p.temperature}"
        )
    if not 0 < p.top_p <= 1:
        raise InvalidRequestError(f"top_p must be more than 0 and at most 1, got {p.top_p}")
    if p.top_k < 0:
        raise InvalidRequestError(f"top_k must be at least 0, got {p.top_k}")
    if not 0 <= p.seed <= MAX_SEED:
        raise InvalidRequestError(f"seed must be 0..{MAX_SEED}, got {p.seed}")
    if p.max_new_tokens < 1:
        raise InvalidRequestError(f"max_new_tokens must be at least 1, got {p.max_new_tokens}")


def check_language(engine: Engine, language: str | None, request: CompletionRequest) -> None:
    """Raises UnsupportedLanguageError when the model declares languages and this is not one.

    A small model trained on Python writes confident Python into a Rust file; staying quiet is
    better. ``request.any_language`` (the user's choice) turns the guard off.
    """
    known = engine.info.languages
    if known is None or request.any_language or language in known:
        return
    what = language or request.language_id or "this file type"
    raise UnsupportedLanguageError(
        f"model {engine.info.model_id} knows only {', '.join(known)}, not {what}: no suggestion "
        "(use a model that knows it, or turn the language guard off)"
    )


def _context_block(snippets: tuple[str, ...], comment: str) -> str:
    """Snippets from other open files, commented out so they read as context, not code."""
    parts = []
    for snip in snippets:
        parts.append("\n".join(f"{comment} {line}".rstrip() for line in snip.splitlines()))
    return "\n".join(parts) + "\n" if parts else ""


def build_prompt(
    engine: Engine, request: CompletionRequest, comment: str = "#", heal: bool = True
) -> Prompt:
    """The request's prompt in the engine's window (minus the generation room and the policy's
    prompt budget), with the context snippets and hints commented out in ``comment``."""
    policy = request.policy
    budget = engine.info.context_tokens - policy.max_new_tokens - 4
    if policy.prompt_tokens:
        budget = min(budget, policy.prompt_tokens)
    return build(
        engine.tokenizer,
        engine.vocab_text,
        engine.prompt_template,
        request.text,
        request.offset,
        max(32, budget),
        context=_context_block(request.context_snippets, comment),
        hint="".join(f"{comment} {h}\n" for h in request.hints),
        heal=heal,
        snap=engine.info.window_snap,
    )


def postprocess(
    engine: Engine,
    prompt: Prompt,
    samples: Sequence[Sample],
    text: str,
    offset: int,
    mode: Mode,
    language: str | None,
) -> list[Candidate]:
    """Post-processes the samples of one prompt (stop rules, block end for ``language``)."""
    from grammars import block_end

    finder = None
    if mode is Mode.BLOCK and language is not None:

        def finder(ins: str) -> int | None:
            return block_end(text, offset, ins, language)

    return make_candidates(
        samples,
        lambda ids: engine.decode_pieces(prompt, ids),
        stop_ids=engine.stop_ids,
        heal_text=prompt.heal_text,
        prefix=text[:offset],
        suffix=text[offset:],
        mode=mode,
        block_end=finder,
    )


def complete(
    engine: Engine, request: CompletionRequest, cancel: threading.Event | None = None
) -> CompletionResult:
    """Builds the prompt, draws the samples and post-processes them into candidates.

    Args:
        engine: a loaded engine (``CT2Engine``).
        request: document, cursor offset, language and sampling policy.
        cancel: set it from another thread to stop generation (GenerationCancelled).

    Returns:
        The unique, non-empty candidates in sample order, with timings.
    """
    from grammars import language_for

    validate(request)
    t0 = time.perf_counter()
    spec = language_for(request.language_id, request.path)
    lang = spec.name if spec else None
    check_language(engine, lang, request)
    if not request.text.strip():
        # Nothing to continue from: any suggestion would be a guess, so none is made.
        return CompletionResult((), _EMPTY_PROMPT, lang, GenerationTimings(), 0)
    policy = request.policy
    prompt = build_prompt(engine, request, spec.comment if spec else "#")
    t1 = time.perf_counter()
    stats: dict[str, float] = {}
    samples, ent_time = engine.generate(
        prompt, policy, cancel, stop_at_newline=policy.mode is Mode.LINE, stats=stats
    )
    t2 = time.perf_counter()
    candidates = postprocess(
        engine, prompt, samples, request.text, request.offset, policy.mode, lang
    )
    t3 = time.perf_counter()
    timings = GenerationTimings(
        prompt=t1 - t0,
        generate=t2 - t1 - ent_time,
        first_token=stats.get("first_token", 0.0),
        entropy=ent_time,
        postprocess=t3 - t2,
    )
    gave_up = int(stats.get("gave_up_at", 0))
    return CompletionResult(tuple(candidates), prompt, lang, timings, len(samples), gave_up)
