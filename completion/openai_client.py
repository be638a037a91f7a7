"""Streams `/v1/completions` from an OpenAI-compatible server (vLLM, llama.cpp, TGI, SGLang)
on one event-loop thread, with a timeout per request, bounded concurrency and cancellation
that closes the stream so the server stops generating."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from .errors import GenerationCancelled, RemoteError, RemoteResponseError, RemoteTimeoutError

T = TypeVar("T")
log = logging.getLogger(__name__)
# How often a waiting caller looks at its cancel flag (seconds).
_POLL = 0.01


@dataclass(slots=True)
class Choice:
    """One streamed choice as it accumulates: text, tokens and their top log-probs."""

    text: str = ""
    tokens: list[str] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    top: list[list[float]] = field(default_factory=list)
    finish: str | None = None
    closed: bool = False  # we stopped reading it (line done)


def _absorb(choices: dict[int, Choice], chunk: Any, url: str) -> None:
    """Adds one streamed (or whole) response object to ``choices``."""
    if not isinstance(chunk, dict):
        raise RemoteResponseError(f"{url} sent {type(chunk).__name__} where a JSON object belongs")
    if "error" in chunk:
        err = chunk["error"]
        msg = err.get("message", err) if isinstance(err, dict) else err
        raise RemoteError(f"{url} reported an error: {str(msg)[:300]}")
    raw = chunk.get("choices")
    if not isinstance(raw, list):
        raise RemoteResponseError(f"{url} sent a response without 'choices': {str(chunk)[:200]}")
    for c in raw:
        lp = c.get("logprobs") if isinstance(c, dict) else None
        if not isinstance(lp, dict) or lp.get("top_logprobs") is None:
            if isinstance(c, dict) and not c.get("text") and c.get("finish_reason"):
                lp = {"tokens": [], "token_logprobs": [], "top_logprobs": []}
            else:
                raise RemoteResponseError(
                    f"{url} sent no log-probs (entropy needs them): use a server that returns "
                    "`logprobs` for /v1/completions, and for vLLM start it with --max-logprobs "
                    "at least model.topLogprobs"
                )
        ch = choices.setdefault(int(c.get("index", 0)), Choice())
        ch.text += c.get("text") or ""
        ch.tokens += lp.get("tokens") or []
        ch.logprobs += [float(x) if x is not None else 0.0 for x in lp["token_logprobs"] or []]
        for top in lp["top_logprobs"] or []:
            ch.top.append([float(v) for v in (top or {}).values()])
        if c.get("finish_reason"):
            ch.finish = c["finish_reason"]


class CompletionsClient:
    """An httpx client on its own event-loop thread, callable from any (worker) thread.

    The server's handlers call the engine on a worker thread with a ``threading.Event`` to
    cancel; ``run`` bridges that to asyncio: when the event is set, the request's task is
    cancelled, which closes its HTTP stream, and the server stops generating when it sees the
    connection go.

    Args:
        url: the server's base URL (``http://host:8000``; ``/v1`` optional).
        api_key_env: name of the environment variable that holds the API key ("": none). The
            key itself is read here, sent as a Bearer token and never logged or stored.
        timeout: seconds a whole request may take.
        max_concurrency: requests in flight at once from this client.
        verify: check the server's TLS certificate (True, or a CA bundle path).
    """

    def __init__(
        self,
        url: str,
        *,
        api_key_env: str = "",
        timeout: float = 10.0,
        max_concurrency: int = 4,
        verify: bool | str = True,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise RemoteError(f"model.url must be the server's http(s):// base URL, not {url!r}")
        base = url.rstrip("/")
        self.url = base if base.endswith("/v1") else base + "/v1"
        self.timeout = timeout
        headers = {}
        if api_key_env:
            key = os.environ.get(api_key_env)
            if not key:
                raise RemoteError(f"the API key variable {api_key_env} is not set")
            headers["Authorization"] = f"Bearer {key}"
        self._closed = False
        self._close_lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name="entropy-remote", daemon=True)
        self._thread.start()

        async def setup() -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
            limits = httpx.Limits(max_connections=max_concurrency)
            client = httpx.AsyncClient(
                headers=headers, timeout=timeout, verify=verify, limits=limits
            )
            return client, asyncio.Semaphore(max_concurrency)

        self._client, self._slots = asyncio.run_coroutine_threadsafe(setup(), self._loop).result()

    def _serve(self) -> None:
        """The loop's thread: runs it until ``close`` stops it, then frees its sockets."""
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    def run(self, coro: Coroutine[Any, Any, T], cancel: threading.Event | None) -> T:
        """Runs ``coro`` on the loop; cancels it (closing its streams) when ``cancel`` is set."""
        fut = asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, self.timeout), self._loop)
        while True:
            try:
                return fut.result(timeout=_POLL)
            except (concurrent.futures.TimeoutError, asyncio.TimeoutError):
                if fut.done():  # wait_for's own timeout, not the poll's
                    raise RemoteTimeoutError(
                        f"{self.url} did not answer within {self.timeout:g} s (model.timeout)"
                    ) from None
                if cancel is not None and cancel.is_set():
                    fut.cancel()
                    raise GenerationCancelled("cancelled during remote generation") from None

    async def stream(
        self, body: dict[str, Any], until: Callable[[dict[int, Choice]], bool]
    ) -> dict[int, Choice]:
        """POSTs ``body`` to /completions and reads the choices until ``until`` says stop.

        Returning early closes the connection: that is how a line-mode request stops the
        server's generation once every candidate has finished its line.
        """
        choices: dict[int, Choice] = {}
        async with self._slots:
            try:
                async with self._client.stream(
                    "POST", self.url + "/completions", json=body
                ) as resp:
                    if resp.status_code >= 400:
                        text = (await resp.aread()).decode("utf-8", "replace")
                        raise RemoteError(
                            f"{self.url} answered HTTP {resp.status_code}: {_detail(text)}"
                        )
                    if "text/event-stream" not in resp.headers.get("content-type", ""):
                        _absorb(choices, _json(await resp.aread(), self.url), self.url)
                        return choices
                    async for line in resp.aiter_lines():
                        if not line.startswith("data:"):
                            continue  # comments, pings, event names
                        data = line[5:].strip()
                        if data == "[DONE]":
                            break
                        _absorb(choices, _json(data, self.url), self.url)
                        if until(choices):
                            for ch in choices.values():
                                ch.closed = True
                            break
            except httpx.TimeoutException:
                raise RemoteTimeoutError(
                    f"{self.url} did not answer within {self.timeout:g} s (model.timeout)"
                ) from None
            except httpx.HTTPError as e:
                raise RemoteError(f"cannot reach {self.url}: {_reason(e)} (model.url)") from None
        return choices

    def close(self) -> None:
        """Closes the connections and ends the loop's thread (without waiting for it). Once:
        an engine closed by hand is closed again when it is collected, and a second ``shut``
        queued behind the first's ``loop.stop()`` would never run (a "never awaited" warning)."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True

        async def shut() -> None:
            await self._client.aclose()
            self._loop.stop()

        if self._loop.is_running():
            asyncio.run_coroutine_threadsafe(shut(), self._loop)


def _json(data: str | bytes, url: str) -> Any:
    try:
        return json.loads(data)
    except json.JSONDecodeError as e:
        # No detail in the message: it would differ per answer, and each is said once.
        log.debug("malformed JSON from %s: %s in %.200r", url, e, data)
        raise RemoteResponseError(
            f"{url} sent malformed JSON: is model.url an OpenAI-compatible /v1 endpoint?"
        ) from None


def _detail(text: str) -> str:
    """The server's own error message when it sent one, else the start of the body."""
    try:
        err = json.loads(text)
        err = err.get("error", err.get("detail", err)) if isinstance(err, dict) else err
        if isinstance(err, dict):
            err = err.get("message", err)
        return str(err)[:300]
    except ValueError:
        return text.strip()[:300] or "(empty body)"


def _reason(e: httpx.HTTPError) -> str:
    cause: BaseException = e
    while (inner := cause.__cause__ or cause.__context__) is not None:
        cause = inner
    text = str(cause) or type(cause).__name__
    return "connection refused" if "refused" in text.lower() else text
