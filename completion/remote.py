"""An engine that asks an OpenAI-compatible server (vLLM, llama.cpp, ...) for the candidates and
estimates each token's entropy from the top-K log-probs the server returns."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenizers import Tokenizer

from .backend import Engine, ModelInfo
from .engine import DEFAULT_MODEL_DIR, MAX_AUTO_CONTEXT, CT2Engine
from .errors import GenerationCancelled, ModelLoadError, TokenizerNotFoundError
from .fim import detect, family_label, for_format, stop_tokens
from .modeldir import declared_languages, read_meta
from .prompt import Prompt, TokenText
from .topk_entropy import topk_entropy
from .types import Sample, SamplingPolicy

if TYPE_CHECKING:  # httpx is imported when a remote engine is built, not by every process
    from .openai_client import Choice, CompletionsClient


def _line_done(ch: Choice) -> bool:
    """A newline after some text ends a line-mode candidate (one before it starts the line)."""
    return "\n" in ch.text.lstrip("\r\n")


class RemoteEngine:
    """The Engine protocol over `/v1/completions`: prompts, stop rules and ranking stay local.

    The prompt is built here with the model's own tokenizer (budget, FIM template, context) and
    sent as text; the server returns each generated token with its log-prob and the top-K
    log-probs of that step, from which ``topk_entropy`` estimates the full-vocabulary entropy.

    Args:
        url: the server's base URL (``http://gpu-box:8000``).
        model_name: the ``model`` field of each request (vLLM's served model name; "" omits it).
        tokenizer_dir: a directory with the served model's ``tokenizer.json`` (and optionally
            its ``entropy-complete.json`` and ``confidence.json``); None: the shipped model's.
        api_key_env: environment variable holding the API key ("": no key).
        timeout: seconds one request may take.
        max_concurrency: HTTP requests in flight at once.
        top_logprobs: K, the log-probs asked per token (vLLM allows up to ``--max-logprobs``).
        prompt_format: "auto", "fim" or "prefix", as for the local engine.
        context_tokens: prompt + generation budget (default: the model's, at most 4096).
        verify: check TLS certificates (True, or a CA bundle path).
    """

    def __init__(
        self,
        url: str,
        model_name: str = "",
        tokenizer_dir: str | Path | None = None,
        *,
        api_key_env: str = "",
        timeout: float = 10.0,
        max_concurrency: int = 4,
        top_logprobs: int = 20,
        prompt_format: str = "auto",
        context_tokens: int | None = None,
        verify: bool | str = True,
    ) -> None:
        path = Path(tokenizer_dir).expanduser() if tokenizer_dir else DEFAULT_MODEL_DIR
        try:
            self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        except Exception as e:  # tokenizers raises a bare Exception
            raise TokenizerNotFoundError(
                f"{path}/tokenizer.json cannot be read: {e} (a remote model needs its tokenizer "
                "in model.path)"
            ) from e
        meta = read_meta(path)
        vocab = self.tokenizer.get_vocab()
        self.template = detect(vocab)
        fmt = meta.get("prompt_format", "fim") if prompt_format == "auto" else prompt_format
        try:
            self.prompt_template = for_format(self.template, fmt)
        except ValueError as e:
            raise ModelLoadError(str(e)) from None
        specials = [t.content for t in self.tokenizer.get_added_tokens_decoder().values()]
        self.stops = tuple(dict.fromkeys([*stop_tokens(vocab, self.template), *specials]))
        self.stop_ids = frozenset(vocab[t] for t in self.stops if t in vocab)
        self.vocab_text = TokenText(self.tokenizer)
        # Token text -> id, for servers that name tokens by their text (llama.cpp, OpenAI).
        self._ids: dict[str, int] = {}
        for i, text in enumerate(self.vocab_text.text):
            self._ids.setdefault(text, i)
        self.model_name = model_name
        self.top_logprobs = top_logprobs
        from .openai_client import CompletionsClient

        self.client = CompletionsClient(
            url,
            api_key_env=api_key_env,
            timeout=timeout,
            max_concurrency=max_concurrency,
            verify=verify,
        )
        # Whether the server honours n and runs requests side by side (vLLM). llama.cpp's
        # servers do neither (a concurrent request may even interrupt a running one): they get
        # one request per sample, one after another.
        self._batching = True
        # A replaced engine (settings changed) takes its connections and thread with it.
        weakref.finalize(self, self.client.close)
        key = f"{url}|{model_name}|{hashlib.sha256((path / 'tokenizer.json').read_bytes()).hexdigest()}"
        self.info = ModelInfo(
            path=str(path),
            model_id="remote-" + hashlib.sha256(key.encode()).hexdigest()[:10],
            family=family_label(self.template, self.prompt_template),
            device=f"remote {self.client.url}",
            compute_type="server",
            context_tokens=int(
                context_tokens or min(int(meta.get("context_length", 2048)), MAX_AUTO_CONTEXT)
            ),
            vocab_size=len(vocab),
            languages=declared_languages(meta.get("languages")),
        )

    # The same decoding as the local engine: it needs only the tokenizer.
    decode_pieces = CT2Engine.decode_pieces

    def prompt_text(self, prompt: Prompt) -> str:
        """The prompt as text, backed off to a token boundary as for the local engine.

        Servers cannot restrict the first token to the healing set, so healing works by
        selection here: post-processing drops the samples that do not re-type the removed
        characters (the model's own choice mostly does: that is why the prompt is backed off).
        """
        return self.tokenizer.decode(list(prompt.ids), skip_special_tokens=False)

    def generate(
        self,
        prompt: Prompt,
        policy: SamplingPolicy,
        cancel: threading.Event | None = None,
        stop_at_newline: bool = False,
        stats: dict[str, float] | None = None,
    ) -> tuple[list[Sample], float]:
        """Draws ``policy.n`` samples from the server (see ``CT2Engine.generate``).

        A greedy candidate is one request at temperature 0, the sampled ones one request with
        ``n``, side by side; a server that ignores ``n`` or interrupts a request when another
        arrives (llama.cpp's) is then asked once per sample, one request after another.
        Raises RemoteError (unreachable, HTTP error, timeout, malformed answer, no log-probs)
        and GenerationCancelled.
        """
        if cancel is not None and cancel.is_set():
            raise GenerationCancelled("cancelled before generation")
        t0 = time.perf_counter()
        text = self.prompt_text(prompt)
        room = max(1, min(policy.max_new_tokens, self.info.context_tokens - len(prompt.ids)))
        base: dict[str, Any] = {
            "prompt": text,
            "max_tokens": room,
            "stream": True,
            "logprobs": self.top_logprobs,
            "stop": list(self.stops[:4]),  # OpenAI's limit; more stop at the end token anyway
            "return_tokens_as_token_ids": True,  # vLLM: exact ids ("token_id:42")
        }
        if self.model_name:
            base["model"] = self.model_name
        bodies: list[tuple[dict[str, Any], bool]] = []
        if policy.include_greedy:
            bodies.append(({**base, "temperature": 0.0, "n": 1}, True))
        n_sampled = policy.n - (1 if policy.include_greedy else 0)
        sampled = {
            **base,
            "temperature": max(policy.temperature, 1e-3),
            "top_p": policy.top_p,
            "top_k": policy.top_k if policy.top_k > 0 else -1,
            "seed": policy.seed,
        }
        if n_sampled > 0 and self._batching:
            bodies.append(({**sampled, "n": n_sampled}, False))
        elif n_sampled > 0:
            bodies += [
                ({**sampled, "n": 1, "seed": policy.seed + i}, False) for i in range(n_sampled)
            ]

        def until(choices: dict[int, Choice]) -> bool:
            return stop_at_newline and bool(choices) and all(map(_line_done, choices.values()))

        requests = [b for b, _ in bodies]
        results = self.client.run(
            _gather(self.client, requests, until, one_at_a_time=not self._batching), cancel
        )
        interrupted = any(ch.finish is None and not ch.closed for r in results for ch in r.values())
        if self._batching and (interrupted or len(results[-1]) < max(n_sampled, 1)):
            # One choice for n, or a stream ended without a finish reason: a llama.cpp server.
            self._batching = False
            return self.generate(prompt, policy, cancel, stop_at_newline, stats)
        t1 = time.perf_counter()
        samples = []
        for (_, greedy), choices in zip(bodies, results):
            for _, ch in sorted(choices.items()):
                samples.append(self._sample(prompt, ch, greedy))
        if stats is not None:
            stats["first_token"] = t1 - t0
        return samples, time.perf_counter() - t1

    def _sample(self, prompt: Prompt, ch: Choice, greedy: bool) -> Sample:
        ids: list[int] = []
        lps: list[float] = []
        ents: list[float] = []
        for k, tok in enumerate(ch.tokens):
            tid = self._token_id(tok)
            if tid is None:
                continue  # a byte fragment the server could not decode alone
            ids.append(tid)
            lps.append(ch.logprobs[k] if k < len(ch.logprobs) else 0.0)
            top = ch.top[k] if k < len(ch.top) else []
            ents.append(topk_entropy(top, self.info.vocab_size).estimate if top else 0.0)
        if ch.finish == "stop" and self.stop_ids and not _line_done(ch):
            # The server ended at an end token it does not send: mark the candidate ended.
            ids.append(min(self.stop_ids))
            lps.append(0.0)
            ents.append(ents[-1] if ents else 0.0)
        return Sample(tuple(ids), tuple(lps), tuple(ents), greedy)

    def _token_id(self, token: str) -> int | None:
        if token.startswith("token_id:"):
            return int(token[9:])
        return self._ids.get(token) if token else None

    def close(self) -> None:
        self.client.close()


async def _gather(
    client: CompletionsClient,
    bodies: list[dict[str, Any]],
    until: Callable[[dict[int, Choice]], bool],
    *,
    one_at_a_time: bool,
) -> list[dict[int, Choice]]:
    if one_at_a_time:
        return [await client.stream(b, until) for b in bodies]
    return list(await asyncio.gather(*(client.stream(b, until) for b in bodies)))


@dataclass(frozen=True, slots=True)
class RemoteSettings:
    """Where the model server is and how to talk to it (``model.*`` options, CLI flags)."""

    url: str
    model_name: str = ""
    api_key_env: str = ""
    timeout: float = 10.0
    top_logprobs: int = 20


def open_engine(
    model: str | None,
    *,
    device: str = "auto",
    compute_type: str = "auto",
    threads: int = 0,
    prompt_format: str = "auto",
    remote: RemoteSettings | None = None,
    repeatable: bool = False,
) -> Engine:
    """The local CTranslate2 engine, or the remote one when ``remote`` is given.

    ``model`` is the model directory; for a remote model, the directory with its tokenizer
    (None: the shipped model's).
    """
    if remote is None:
        return CT2Engine(
            model, device, compute_type, threads, prompt_format=prompt_format, repeatable=repeatable
        )
    return RemoteEngine(
        remote.url,
        remote.model_name,
        model,
        api_key_env=remote.api_key_env,
        timeout=remote.timeout,
        top_logprobs=remote.top_logprobs,
        prompt_format=prompt_format,
    )
