"""The option groups a user can set (model, triggers, review, context, grounding, telemetry):
frozen dataclasses whose fields carry their description and JSON-schema bounds, checked in
``__post_init__``. ``lsp_server.config`` assembles them into ``Options`` and reads them from the
client's camelCase JSON."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from completion import Mode, SamplingPolicy
from completion.fim import PROMPT_FORMATS
from completion.modeldir import DEVICES
from completion.pipeline import MAX_CANDIDATES, MAX_TEMPERATURE
from ranking import REVIEW_ENTROPY, RankOptions
from ranking.grounded import BELOW_CONFIDENCE, FIRST_ENTROPY, WHEN, GroundingRule

MODES = ("line", "block")
BACKENDS = ("ctranslate2", "openai")


class OptionError(ValueError):
    """A value of the right JSON type but out of range, or of the wrong JSON type."""


def opt(default: Any, doc: str, **schema: Any) -> Any:
    """A field with its user-facing description and JSON-schema bounds (``enum``, ``minimum``,
    ``maximum``, ``exclusiveMinimum``): `entropy-complete options --schema` turns them into the
    editors' settings, and a test checks the bounds against ``__post_init__``."""
    return field(default=default, metadata={"doc": doc, "schema": schema})


def section(factory: Any, doc: str) -> Any:
    """A nested group of options; ``doc`` prefixes its fields' descriptions."""
    return field(default_factory=factory, metadata={"doc": doc})


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise OptionError(what)


@dataclass(frozen=True, slots=True)
class ModelOptions:
    """Which model to run and where."""

    path: str = opt("", "CTranslate2 model directory; empty: the shipped model.")
    device: str = opt(
        "auto", "`auto` (CUDA when CTranslate2 sees a GPU), `cpu` or `cuda`.", enum=DEVICES
    )
    compute_type: str = opt(
        "auto", "`auto` = int8 on CPU, int8_float16 on GPU; or any CTranslate2 compute type."
    )
    threads: int = opt(
        0,
        "CPU threads for the model; 0 = automatic: one for small models like the shipped one "
        "(fastest there), all cores for big ones.",
        minimum=0,
    )
    prompt_format: str = opt(
        "auto",
        "`auto` = the model's own choice (fill-in-the-middle when its tokenizer has FIM tokens, "
        "unless its `entropy-complete.json` says otherwise); `fim` (prefix, suffix, middle), "
        "`spm` (suffix first: for models trained with it) or `prefix` (the text before the "
        "cursor only) to force one.",
        enum=PROMPT_FORMATS,
    )
    confidence_model: str = opt(
        "",
        "Fitted confidence weights (JSON from `entropy-complete calibrate`, or "
        "`<suite>-confidence.json` from `entropy-complete bench --out`); empty: the model's own "
        "calibration in its directory (`confidence.<format>.json` for the prompt layout in use "
        "when there is one, else `confidence.json`).",
    )
    language_guard: bool = opt(
        True,
        "Answer nothing in languages the model does not declare (its `entropy-complete.json` "
        "`languages`; the shipped model knows only Python) instead of writing the wrong language.",
    )
    backend: str = opt(
        "ctranslate2",
        "`ctranslate2`: run the model here; `openai`: ask an OpenAI-compatible server (vLLM, "
        "llama.cpp) at `model.url`, with `model.path` holding the served model's tokenizer.",
        enum=BACKENDS,
    )
    url: str = opt("", "The server's base URL for `openai` (`https://gpu-box:8000`).")
    name: str = opt("", "The served model's name (vLLM `--served-model-name`); empty: omitted.")
    api_key_env: str = opt(
        "", "Name of the environment variable holding the server's API key (never the key)."
    )
    timeout: float = opt(10.0, "Seconds a remote request may take.", exclusiveMinimum=0)
    top_logprobs: int = opt(
        20, "Top log-probs asked per token; vLLM's `--max-logprobs` must allow it.", minimum=1
    )

    def __post_init__(self) -> None:
        _check(self.backend in BACKENDS, "model.backend must be ctranslate2 or openai")
        _check(self.timeout > 0, "model.timeout must be > 0")
        _check(self.top_logprobs >= 1, "model.topLogprobs must be >= 1")
        _check(self.device in DEVICES, "model.device must be auto, cpu or cuda")
        cores = os.cpu_count() or 1
        _check(0 <= self.threads <= cores, f"model.threads must be 0 (automatic) to {cores}")
        _check(
            self.prompt_format in PROMPT_FORMATS,
            f"model.promptFormat must be one of {', '.join(PROMPT_FORMATS)}",
        )


@dataclass(frozen=True, slots=True)
class TriggerOptions:
    """How to sample and what to show for one kind of trigger (typing or asking)."""

    candidates: int = opt(3, "Samples drawn per request.", minimum=1, maximum=MAX_CANDIDATES)
    temperature: float = opt(0.2, "Sampling temperature.", minimum=0, maximum=MAX_TEMPERATURE)
    top_p: float = opt(0.95, "Nucleus (top-p) sampling.", exclusiveMinimum=0, maximum=1)
    top_k: int = opt(50, "Top-k sampling (0: off).", minimum=0)
    max_tokens: int = opt(48, "Tokens generated at most.", minimum=1, maximum=2048)
    prompt_tokens: int = opt(
        256,
        "Prompt tokens at most (0: the model's whole window). Shorter is faster: each decoding "
        "step copies the attention cache of the whole prompt.",
        minimum=0,
    )
    greedy: bool = opt(
        False,
        "Make one candidate the greedy (most likely) one, in a call of its own; off: every "
        "candidate comes from one sampled call (faster).",
    )
    mode: str = opt(
        "line",
        "`line`: stop at the end of the line; `block`: at the end of the current block.",
        enum=MODES,
    )
    show: int = opt(3, "Suggestions shown at most.", minimum=1, maximum=10)
    abstain_below: float = opt(
        0.1,
        "Show nothing when the best confidence is lower (0: never abstain). Confidence is "
        "calibrated per model, so this is the chance of being right you ask for: at 0.1 the "
        "shipped model shows a suggestion at about three pauses in ten and is right about four "
        'times in ten when it does (docs/benchmark.md, "Abstaining").',
        minimum=0,
        maximum=1,
    )
    stop_early: bool = opt(
        True,
        "In `line` mode, stop decoding as soon as no candidate can reach `abstainBelow` any "
        "more (most abstaining requests know it after a few tokens); off: decode to the end.",
    )

    def __post_init__(self) -> None:
        _check(1 <= self.candidates <= MAX_CANDIDATES, f"candidates must be 1..{MAX_CANDIDATES}")
        _check(
            0.0 <= self.temperature <= MAX_TEMPERATURE,
            f"temperature must be 0..{MAX_TEMPERATURE:g}",
        )
        _check(0.0 < self.top_p <= 1.0, "topP must be in (0, 1]")
        _check(self.top_k >= 0, "topK must be >= 0")
        _check(1 <= self.max_tokens <= 2048, "maxTokens must be 1..2048")
        _check(self.prompt_tokens >= 0, "promptTokens must be >= 0")
        _check(self.mode in MODES, "mode must be line or block")
        _check(1 <= self.show <= 10, "show must be 1..10")
        _check(0.0 <= self.abstain_below <= 1.0, "abstainBelow must be 0..1")

    def policy(self) -> SamplingPolicy:
        return SamplingPolicy(
            n=self.candidates,
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            include_greedy=self.greedy and self.candidates > 1,
            max_new_tokens=self.max_tokens,
            prompt_tokens=self.prompt_tokens,
            mode=Mode(self.mode),
        )

    def rank_options(self, review_entropy: float) -> RankOptions:
        return RankOptions(
            top_k=self.show,
            abstain_below=self.abstain_below,
            review_entropy=review_entropy,
            stop_early=self.stop_early,
        )


@dataclass(frozen=True, slots=True)
class ReviewOptions:
    """When a sensitive call needs review, and the user's own rules."""

    entropy_threshold: float = opt(
        REVIEW_ENTROPY,
        "Nats: a sensitive call more uncertain than this needs review.",
        minimum=0,
    )
    extra_rules: str = opt(
        "", "Your own sensitive-API rules file (JSON), added to the shipped rules."
    )

    def __post_init__(self) -> None:
        _check(self.entropy_threshold >= 0, "review.entropyThreshold must be >= 0")


@dataclass(frozen=True, slots=True)
class ContextOptions:
    """Grounding: snippets of other open files of the same language put in the prompt."""

    neighbouring_tabs: bool = opt(
        True,
        "Put the most similar windows of other open files of the same language in the prompt.",
    )
    max_snippets: int = opt(2, "How many such snippets.", minimum=0, maximum=8)
    window_lines: int = opt(
        20,
        "Lines per window (and lines before the cursor they are compared with).",
        minimum=2,
        maximum=200,
    )
    min_similarity: float = opt(
        0.1, "Token Jaccard similarity a window needs to be used.", minimum=0, maximum=1
    )
    max_chars: int = opt(1200, "The snippets' total size in characters.", minimum=0)

    def __post_init__(self) -> None:
        _check(0 <= self.max_snippets <= 8, "context.maxSnippets must be 0..8")
        _check(2 <= self.window_lines <= 200, "context.windowLines must be 2..200")
        _check(0.0 <= self.min_similarity <= 1.0, "context.minSimilarity must be 0..1")
        _check(self.max_chars >= 0, "context.maxChars must be >= 0")


@dataclass(frozen=True, slots=True)
class GroundingOptions:
    """Workspace grounding: definitions from the workspace's files, retrieved when it helps."""

    workspace_index: bool = opt(
        True,
        "Index the definitions (functions, classes, methods, constants) of the workspace's "
        "files in the background, respecting `.gitignore`, and put the ones the code at the "
        "cursor uses in the prompt.",
    )
    automatic: str = opt(
        "never",
        "When automatic suggestions use the index: `never`, `entropy` (answer from the open "
        "files first; retrieve and regenerate once when the model is unsure) or `always`. "
        "Invoked suggestions always use it. Off while typing by default: the shipped model is "
        "unsure of most lines, so `entropy` regenerates about 4 requests in 5 (typing p50 "
        "113 -> 293 ms) and shows 20 suggestions instead of 17 in 80 requests.",
        enum=WHEN,
    )
    below_confidence: float = opt(
        BELOW_CONFIDENCE,
        "`entropy`: unsure when the best confidence is below this.",
        minimum=0,
        maximum=1,
    )
    first_token_entropy: float = opt(
        FIRST_ENTROPY,
        "`entropy`: unsure when the top suggestion's first token has more entropy (nats).",
        minimum=0,
    )
    max_chars: int = opt(1200, "Characters of retrieved definitions at most.", minimum=0)
    index_megabytes: int = opt(
        32,
        "Memory the index may hold (MB, estimated); files past it are left out.",
        minimum=1,
    )
    max_file_kilobytes: int = opt(400, "Larger files are not indexed (KB).", minimum=1)
    max_files: int = opt(20_000, "Files indexed at most.", minimum=1)

    def __post_init__(self) -> None:
        _check(self.automatic in WHEN, "grounding.automatic must be entropy, always or never")
        _check(0.0 <= self.below_confidence <= 1.0, "grounding.belowConfidence must be 0..1")
        _check(self.first_token_entropy >= 0, "grounding.firstTokenEntropy must be >= 0")
        _check(self.max_chars >= 0, "grounding.maxChars must be >= 0")
        _check(self.index_megabytes >= 1, "grounding.indexMegabytes must be >= 1")
        _check(self.max_file_kilobytes >= 1, "grounding.maxFileKilobytes must be >= 1")
        _check(self.max_files >= 1, "grounding.maxFiles must be >= 1")

    def rule(self) -> GroundingRule:
        return GroundingRule(
            below_confidence=self.below_confidence, first_entropy=self.first_token_entropy
        )


@dataclass(frozen=True, slots=True)
class TelemetryOptions:
    """Local JSONL events in the user's state directory; nothing leaves the machine."""

    enabled: bool = opt(True, "Write local telemetry (nothing leaves the machine).")
    include_text: bool = opt(False, "Also store suggestion text in the telemetry.")
    max_bytes: int = opt(
        5_000_000,
        "The telemetry log and its one rotated predecessor stay under this size.",
        minimum=10_000,
    )

    def __post_init__(self) -> None:
        _check(self.max_bytes >= 10_000, "telemetry.maxBytes must be >= 10000")
