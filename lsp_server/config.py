"""Server options: typed, defaulted dataclasses read from camelCase JSON (initializationOptions and
workspace/didChangeConfiguration); a bad value gives the caller one message and the defaults.
The groups themselves are in ``lsp_server.option_groups``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .option_groups import (
    BACKENDS,
    MODES,
    ContextOptions,
    GroundingOptions,
    ModelOptions,
    OptionError,
    ReviewOptions,
    TelemetryOptions,
    TriggerOptions,
    _check,
    opt,
    section,
)

__all__ = [
    "BACKENDS",
    "MODES",
    "SECTION",
    "ContextOptions",
    "GroundingOptions",
    "ModelOptions",
    "OptionError",
    "Options",
    "ReviewOptions",
    "TelemetryOptions",
    "TriggerOptions",
    "camel",
    "parse",
    "section_of",
    "to_wire",
]

SECTION = "entropyComplete"  # the settings section clients send (VS Code: entropyComplete.*)
# Client-side settings that travel in the same section (VS Code: entropyComplete.server.path,
# entropyComplete.trace.server, entropyComplete.suggestWhileTyping).
_IGNORED_KEYS = ("trace", "server", "suggestWhileTyping")


def _invoked() -> TriggerOptions:
    return TriggerOptions(
        candidates=6,
        temperature=0.7,
        max_tokens=64,
        prompt_tokens=0,
        greedy=True,
        show=5,
        abstain_below=0.0,
    )


@dataclass(frozen=True, slots=True)
class Options:
    """Everything a user can set; each field has a default."""

    model: ModelOptions = section(ModelOptions, "Model")
    automatic: TriggerOptions = section(
        TriggerOptions, "Automatic suggestions (as you type; may abstain)"
    )
    invoked: TriggerOptions = section(
        _invoked, "Invoked suggestions (you asked: more, more varied alternatives)"
    )
    review: ReviewOptions = section(ReviewOptions, "Review")
    context: ContextOptions = section(ContextOptions, "Context from other open files")
    grounding: GroundingOptions = section(GroundingOptions, "Workspace grounding")
    telemetry: TelemetryOptions = section(TelemetryOptions, "Telemetry")
    cache_size: int = opt(256, "Ranked answers kept in the LRU cache (0: no cache).", minimum=0)
    speculate: bool = opt(
        True,
        "Start the automatic request before the editor asks: `speculateAfterMs` after a "
        "keystroke with no other keystroke since, so most of the answer is ready when the "
        "editor's debounce ends. Only for a model on this machine, in files that get automatic "
        "requests. Off: start when asked.",
    )
    speculate_after_ms: int = opt(
        10,
        "Milliseconds of no typing before `speculate` starts a request: shorter is ready sooner "
        "(VS Code asks 50 ms after a keystroke, Neovim 200), but typing faster than the editor "
        'asks computes more that nobody asks for (docs/benchmark.md, "Latency suite").',
        minimum=0,
        maximum=1000,
    )

    def __post_init__(self) -> None:
        _check(self.cache_size >= 0, "cacheSize must be >= 0")
        _check(0 <= self.speculate_after_ms <= 1000, "speculateAfterMs must be 0..1000")


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)


def _strict(kind: type, what: str) -> Any:
    # cattrs would turn "false" into True and 2.5 into 2; settings typos should be reported.
    def hook(value: Any, _: type) -> Any:
        if isinstance(value, bool) != (kind is bool):
            raise OptionError(f"expected {what}, got {value!r}")
        if kind is float and isinstance(value, int | float):
            return float(value)
        if kind is int and isinstance(value, float) and value.is_integer():
            return int(value)
        if not isinstance(value, kind):
            raise OptionError(f"expected {what}, got {value!r}")
        return value

    return hook


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)

    def structure_factory(cls: type) -> Any:
        renames: dict[str, Any] = {
            f.name: override(rename=camel(f.name)) for f in dataclasses.fields(cls)
        }
        return make_dict_structure_fn(cls, conv, _cattrs_forbid_extra_keys=True, **renames)

    def unstructure_factory(cls: type) -> Any:
        renames: dict[str, Any] = {
            f.name: override(rename=camel(f.name)) for f in dataclasses.fields(cls)
        }
        return make_dict_unstructure_fn(cls, conv, **renames)

    conv.register_structure_hook(bool, _strict(bool, "true or false"))
    conv.register_structure_hook(int, _strict(int, "an integer"))
    conv.register_structure_hook(float, _strict(float, "a number"))
    conv.register_structure_hook(str, _strict(str, "a string"))
    conv.register_structure_hook_factory(dataclasses.is_dataclass, structure_factory)
    conv.register_unstructure_hook_factory(dataclasses.is_dataclass, unstructure_factory)
    return conv


CONVERTER = _make_converter()


def to_wire(options: Options) -> dict[str, Any]:
    """The options as camelCase JSON."""
    return CONVERTER.unstructure(options)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def section_of(settings: Any) -> dict[str, Any] | None:
    """Our section of what a client sent: ``{"entropyComplete": {...}}`` or the options alone."""
    if settings is None or settings == []:  # Lua's empty table arrives as []
        return None
    if not isinstance(settings, dict):
        return {"": settings}  # not an object: parse() reports it
    inner = settings.get(SECTION, settings)
    return inner if isinstance(inner, dict) else {"": inner}


def parse(raw: dict[str, Any] | None) -> tuple[Options, list[str]]:
    """Options from the client's JSON; on any problem, the defaults and what was wrong.

    Missing keys take their defaults (per section: ``invoked`` keeps its own), so a user sets
    only what they change.
    """
    if not raw:
        return Options(), []
    if "" in raw:
        return Options(), [f"settings must be a JSON object, got {raw['']!r}"]
    raw = {k: v for k, v in raw.items() if k not in _IGNORED_KEYS}
    try:
        return CONVERTER.structure(_merge(to_wire(Options()), raw), Options), []
    except Exception as exc:  # cattrs groups every problem into one exception
        return Options(), _problems(exc)


def _problems(exc: BaseException) -> list[str]:
    out = []

    def describe(e: BaseException, kind: Any) -> str:
        if isinstance(e, OptionError):
            return str(e)
        if dataclasses.is_dataclass(kind) and not isinstance(e, cattrs.ForbiddenExtraKeysError):
            return "expected an object"
        return cattrs.v.format_exception(e, kind)

    for line in cattrs.transform_error(exc, path="settings", format_exception=describe):
        what, _, where = line.rpartition(" @ ")
        where = ".".join(camel(part) for part in where.split("."))  # the names users write
        out.append(f"{what.replace('extra fields found', 'unknown option(s)')} @ {where}")
    return out
