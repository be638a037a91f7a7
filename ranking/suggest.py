"""The whole engine path for one request: complete, then rank — shared by CLI, server and bench."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace

from completion import (
    CompletionRequest,
    CompletionResult,
    Engine,
    GenerationCancelled,
    Mode,
    SamplingPolicy,
    complete,
)
from completion.fim import format_of
from completion.give_up import REST_CHARS, GiveUp

from .confidence import ConfidenceModel
from .features import context_of, log1p
from .rank import Ranking, RankOptions, rank
from .risk import RuleSet


@dataclass(frozen=True, slots=True)
class Outcome:
    """The candidates generated for a request and how they were ranked."""

    result: CompletionResult
    ranking: Ranking


def suggest(
    engine: Engine,
    request: CompletionRequest,
    *,
    options: RankOptions | None = None,
    model: ConfidenceModel | None = None,
    rules: RuleSet | None = None,
    cancel: threading.Event | None = None,
) -> Outcome:
    """Generates candidates for ``request`` and ranks them (see ``completion.complete``, ``rank``).

    A single-line request that may abstain stops decoding once no candidate can reach the
    threshold any more (``give_up_bound``), unless ``options.stop_early`` is off.
    """
    if model is None:
        # The model's own calibration for this prompt layout when its directory has one (the
        # shipped model does).
        model = ConfidenceModel.for_model(engine.info.path, format_of(engine.prompt_template))
    options = options or RankOptions()
    bound = give_up_bound(engine, request, options, model)
    if bound is not None:
        request = replace(request, policy=replace(request.policy, give_up=bound))
    result = complete(engine, request, cancel)
    if cancel is not None and cancel.is_set():
        # Ranking parses the document once per candidate: skip it for a request nobody awaits.
        raise GenerationCancelled("cancelled before ranking")
    t = time.perf_counter()
    # A request given up on shows nothing: its cut-short candidates are scored for the record
    # (an upper bound of their confidence) without parsing them or looking for review flags.
    language = None if result.gave_up_at else result.language
    ranking = rank(
        result.candidates,
        request.text,
        request.offset,
        language,
        options=options,
        model=model,
        rules=rules,
        cancel=cancel,
    )
    if result.gave_up_at and not ranking.abstained:
        # Post-processing cut a candidate that had been given up on (rare): what is left of it
        # was not what the model meant to write.
        ranking = replace(ranking, suggestions=(), abstained=True)
    timings = replace(result.timings, rank=time.perf_counter() - t)
    return Outcome(replace(result, timings=timings), ranking)


def give_up_bound(
    engine: Engine, request: CompletionRequest, options: RankOptions, model: ConfidenceModel
) -> GiveUp | None:
    """When a candidate of ``request`` can no longer reach the abstain threshold: its summed
    log-prob bound (``ConfidenceModel.give_up_below``) and the code after the cursor on its
    line, which post-processing may trim. Single-line requests that may abstain only; None
    when decoding must go to the end."""
    if not options.stop_early or options.abstain_below <= 0.0:
        return None
    if request.policy.mode is not Mode.LINE:
        return None
    _, typed, code_after = context_of(request.text, request.offset)
    known = {"log_line_typed": log1p(typed), "code_after": float(code_after)}
    below = model.give_up_below(options.abstain_below, engine.info.vocab_size, known)
    rest = request.text[request.offset : request.offset + REST_CHARS].split("\n", 1)[0]
    return None if below is None else GiveUp(below, rest)


# A few lines in each language the warm-up touches: enough for a prompt, a parse and the rules.
_WARM_UP_TEXT = {
    "python": "import os\n\n\ndef main(path):\n    return os.path.",
}


def warm_up(engine: Engine, rules: RuleSet | None = None) -> float:
    """Runs one tiny request per language the model knows, so the first real request is not
    the one that compiles tree-sitter queries, loads the calibration and starts the model's
    threads (100-270 ms measured on the first call of a process). Returns the seconds spent.
    """
    t = time.perf_counter()
    languages = engine.info.languages or ("python",)
    policy = SamplingPolicy(n=2, include_greedy=True, max_new_tokens=4)
    for language in languages:
        text = _WARM_UP_TEXT.get(language)
        if text is not None:
            request = CompletionRequest(text, len(text), language, None, policy)
            suggest(engine, request, rules=rules or RuleSet.default())
    return time.perf_counter() - t
