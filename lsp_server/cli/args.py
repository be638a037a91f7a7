"""Option values checked where they are parsed: argparse ``type=`` functions whose errors name
the bad value, and the engine options that `complete`, `bench` and `calibrate` share."""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from completion.fim import PROMPT_FORMATS
from completion.modeldir import DEVICES
from completion.pipeline import MAX_SEED, MAX_TEMPERATURE

if TYPE_CHECKING:
    from completion.remote import RemoteSettings


def bounded_int(low: int, high: int | None = None, what: str = "") -> Callable[[str], int]:
    """An integer in [low, high] (high None: no upper bound); argparse names the option."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{what}must be a whole number, not {text!r}"
            ) from None
        if value < low or (high is not None and value > high):
            span = f"at least {low}" if high is None else f"{low}..{high}"
            raise argparse.ArgumentTypeError(f"{what}must be {span}, not {value}")
        return value

    return parse


def bounded_float(
    low: float, high: float | None = None, what: str = "", *, above: bool = False
) -> Callable[[str], float]:
    """A finite number in [low, high] ((low, high] with ``above``; high None: no upper bound)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what}must be a number, not {text!r}") from None
        too_low = value <= low if above else value < low
        if not math.isfinite(value) or too_low or (high is not None and value > high):
            span = f"more than {low:g}" if above else f"at least {low:g}"
            if high is not None:
                span = f"{span} and at most {high:g}" if above else f"{low:g}..{high:g}"
            raise argparse.ArgumentTypeError(f"{what}must be {span}, not {text}")
        return value

    return parse


def add_sampling_options(p: argparse.ArgumentParser, *, top: bool = True) -> None:
    """--temperature, --top-p, --top-k and --seed, checked where they are parsed: one spelling
    and one range for `complete`, `bench` and `calibrate` (``top``: with --top-p/--top-k)."""
    p.add_argument(
        "--temperature",
        type=bounded_float(0, MAX_TEMPERATURE),
        default=0.4,
        help=f"sampling temperature, 0..{MAX_TEMPERATURE:g} (default 0.4)",
    )
    if top:
        p.add_argument(
            "--top-p",
            type=bounded_float(0, 1, above=True),
            default=0.95,
            help="nucleus sampling, (0..1] (default 0.95)",
        )
        p.add_argument(
            "--top-k", type=bounded_int(0, None), default=50, help="sampling top-k (50; 0: off)"
        )
    p.add_argument(
        "--seed",
        type=bounded_int(0, MAX_SEED),
        default=0,
        help="random seed: the same seed gives the same samples (default 0)",
    )


def threads(text: str) -> int:
    """CPU threads for the model: 0 (CTranslate2's choice) up to this machine's core count."""
    return bounded_int(0, os.cpu_count() or 1, "threads (0: automatic) ")(text)


def choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in options:
            raise argparse.ArgumentTypeError(f"must be one of {', '.join(options)}, not {text!r}")
        return text

    return parse


def language(text: str) -> str:
    """An LSP languageId or language name the grammar registry knows."""
    from grammars import language_for
    from grammars.registry import LANGUAGES

    if language_for(text, None) is None:
        known = sorted({i for spec in LANGUAGES.values() for i in spec.language_ids})
        raise argparse.ArgumentTypeError(f"unknown language {text!r}; known: {', '.join(known)}")
    return text


def output_dir(text: str) -> Path:
    """A directory to write into: it may not exist yet, but nothing on its path is a file."""
    path = Path(text)
    for part in (path, *path.parents):
        if part.exists():
            if not part.is_dir():
                raise argparse.ArgumentTypeError(f"{text}: {part} is a file, not a directory")
            break
    return path


def readable_file(text: str) -> Path:
    path = Path(text).expanduser()
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text}: not a file")
    return path


def add_engine_options(p: argparse.ArgumentParser, *, default_threads: int) -> None:
    """--model, --device, --compute-type, --threads, --prompt-format and the remote server's
    --backend, --url, --model-name, --api-key-env, --request-timeout, --top-logprobs: one
    spelling everywhere."""
    p.add_argument(
        "--model",
        help="CTranslate2 model directory, or with --backend openai the directory holding the "
        "served model's tokenizer.json (default: the shipped model)",
    )
    p.add_argument("--device", default="auto", type=choice(DEVICES), help="auto, cpu or cuda")
    p.add_argument("--compute-type", default="auto", help="auto or a CTranslate2 compute type")
    p.add_argument(
        "--threads",
        type=threads,
        default=default_threads,
        help=f"CPU threads, 0 = automatic: 1 for small models (default {default_threads})",
    )
    p.add_argument(
        "--prompt-format",
        type=choice(PROMPT_FORMATS),
        default="auto",
        help="fill-in-the-middle (fim; spm: suffix first) or prefix-only prompts "
        "(auto: the model's own choice)",
    )
    g = p.add_argument_group("remote model (an OpenAI-compatible server: vLLM, llama.cpp)")
    g.add_argument(
        "--backend",
        default="ctranslate2",
        type=choice(("ctranslate2", "openai")),
        help="ctranslate2: run the model here (default); openai: ask the server at --url",
    )
    g.add_argument("--url", help="the server's base URL, e.g. http://gpu-box:8000")
    g.add_argument("--model-name", default="", help="the served model's name (vLLM)")
    g.add_argument("--api-key-env", default="", help="environment variable that holds the API key")
    g.add_argument(
        "--request-timeout",
        type=bounded_float(0, None, above=True),
        default=30.0,
        help="seconds per remote request",
    )
    g.add_argument(
        "--top-logprobs",
        type=bounded_int(1, None, "--top-logprobs "),
        default=20,
        help="log-probs per token to ask for (vLLM: at most its --max-logprobs)",
    )


def remote_settings(args: argparse.Namespace) -> RemoteSettings | None:
    """The remote server's settings when --backend openai, else None (the local engine)."""
    from completion.remote import RemoteSettings

    if args.backend != "openai":
        return None
    if not args.url:
        raise ValueError("--backend openai needs --url")
    return RemoteSettings(
        args.url, args.model_name, args.api_key_env, args.request_timeout, args.top_logprobs
    )


def settings_json(text: str) -> dict:
    """Server settings as an editor sends them (a JSON object), checked like the server does."""
    import json

    from ..config import parse

    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"{text}: not JSON ({exc.msg})") from None
    if not isinstance(raw, dict):
        raise argparse.ArgumentTypeError(f"{text}: settings must be a JSON object")
    _, problems = parse(raw)
    if problems:
        raise argparse.ArgumentTypeError(f"{text}: {'; '.join(problems)}")
    return raw
