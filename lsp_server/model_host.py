"""Owns the engine: loads it lazily on a worker thread and runs every model call on that thread."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from completion import CompletionError, Engine, ModelLoadError

from .config import ModelOptions

log = logging.getLogger(__name__)
T = TypeVar("T")
# Seconds a model load may take: the shipped model loads in under 1 s, a 7B model from a
# local disk in under a minute; a load that takes longer is reading a file that never ends.
LOAD_TIMEOUT = 180.0
# Seconds shutdown waits for a load still in progress: a process that exits while CTranslate2
# builds a generator on another thread can abort in C++ teardown (SIGABRT, seen once in CI).
EXIT_WAIT = 10.0
# Seconds without a model call after which freed memory goes back to the system. glibc keeps
# what a request freed in its heap once large blocks (a big document's text) have raised its
# mmap threshold: after 200 soak requests over a 1 MB file the server held 325-333 MB, and
# 180-182 MB 7 s later with this trim (`python -m tests.e2e.soak 200 50 7`). A trim takes
# ~1 ms and makes the next request ~3 ms slower, so it waits for a pause in typing.
IDLE_TRIM_S = 5.0


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``; None where the C library has none (musl, macOS, Windows)."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None


MALLOC_TRIM = _malloc_trim()


def load_engine(options: ModelOptions) -> Engine:
    """Builds the engine: CTranslate2 here (slow: weight loading) or the remote server's client."""
    from completion.remote import RemoteSettings, open_engine

    remote = None
    if options.backend == "openai":
        remote = RemoteSettings(
            options.url, options.name, options.api_key_env, options.timeout, options.top_logprobs
        )
    engine = open_engine(
        options.path or None,
        device=options.device,
        compute_type=options.compute_type,
        threads=options.threads,
        prompt_format=options.prompt_format,
        remote=remote,
    )
    # Compile the grammars' queries and start the model's threads now, not on the first request.
    from ranking.suggest import warm_up

    try:
        log.info("warm-up took %.0f ms", warm_up(engine) * 1000)
    except CompletionError as exc:  # a remote server that is down says so on the first request
        log.info("warm-up skipped: %s", exc)
    return engine


class ModelHost:
    """One worker thread for the model's generations, in arrival order; loads run on a thread
    of their own, bounded by ``load_timeout``.

    A single thread because the CPU is the bottleneck: two generations side by side would each
    take twice as long, and a superseded one is stopped within a decoding step anyway.
    """

    def __init__(
        self,
        loader: Callable[[ModelOptions], Engine] = load_engine,
        load_timeout: float = LOAD_TIMEOUT,
    ) -> None:
        self._loader = loader
        self.load_timeout = load_timeout
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="entropy-model")
        self._loading: set[threading.Thread] = set()  # load threads still running
        self._load: asyncio.Future[Engine] | None = None
        self._options: ModelOptions | None = None
        self.engine: Engine | None = None
        self.error: str | None = None
        self.load_seconds = 0.0
        self._trim: asyncio.TimerHandle | None = None
        self._busy = 0  # model calls queued or running
        self.trims = 0  # memory given back after a pause (see IDLE_TRIM_S)

    @property
    def current_load(self) -> asyncio.Future[Engine] | None:
        """The latest load; an older one that ends later must not report for it."""
        return self._load

    def needs_load(self, options: ModelOptions) -> bool:
        """True when nothing was loaded yet or the model settings changed."""
        return self._load is None or self._options != options

    def start(self, options: ModelOptions) -> asyncio.Future[Engine]:
        """Starts loading ``options``' model on a thread of its own and returns its future."""
        self._options = options
        self.error = None

        def load() -> Engine:
            t = time.perf_counter()
            engine = self._loader(options)
            self.load_seconds = time.perf_counter() - t
            return engine

        fut = asyncio.ensure_future(self._bounded(load))
        self._load = fut

        def done(f: asyncio.Future[Engine]) -> None:
            if f is not self._load or f.cancelled():
                return
            exc = f.exception()
            if exc is None:
                self.engine = f.result()
            else:
                self.engine = None
                expected = isinstance(exc, CompletionError)  # one-line reason, no traceback
                self.error = str(exc) if expected else repr(exc)
                log.error(
                    "model failed to load: %s", self.error, exc_info=None if expected else exc
                )

        fut.add_done_callback(done)
        return fut

    async def _bounded(self, load: Callable[[], Engine]) -> Engine:
        """Runs ``load`` on a thread of its own, not the model's: a read that never returns (a
        FIFO, a hung network mount) must not hold later loads and generations behind it."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Engine] = loop.create_future()

        def settle(result: Engine | None, exc: BaseException | None) -> None:
            if fut.done():
                return  # timed out meanwhile: the late engine is dropped
            if exc is None:
                fut.set_result(result)  # type: ignore[arg-type]
            else:
                fut.set_exception(exc)

        def run() -> None:
            try:
                result, exc = load(), None
            except BaseException as e:  # noqa: BLE001 - handed to the awaiting task
                result, exc = None, e
            try:
                loop.call_soon_threadsafe(settle, result, exc)
            except RuntimeError:
                pass  # the loop is gone (server exited)
            finally:
                self._loading.discard(threading.current_thread())

        thread = threading.Thread(target=run, name="entropy-model-load", daemon=True)
        self._loading.add(thread)
        thread.start()
        try:
            return await asyncio.wait_for(fut, self.load_timeout)
        except TimeoutError:
            raise ModelLoadError(
                f"loading the model took over {self.load_timeout:g} s (a model file that never "
                "finishes reading?); the next model setting loads afresh"
            ) from None

    def ready(self, options: ModelOptions) -> Engine | None:
        """The loaded engine, or None at once while it loads (starting the load if none began)
        or after it failed: editors must not queue keystrokes behind a load of many seconds."""
        if self._load is None:
            self.start(options)
        load = self._load
        assert load is not None
        if not load.done() or load.cancelled() or load.exception() is not None:
            return None
        return load.result()

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """Runs ``fn(*args)`` on the model thread; after the last call of a burst, once
        ``IDLE_TRIM_S`` pass without another, gives freed memory back to the system."""
        loop = asyncio.get_running_loop()
        if self._trim is not None:
            self._trim.cancel()
            self._trim = None
        self._busy += 1
        try:
            return await loop.run_in_executor(self._executor, fn, *args)
        finally:
            self._busy -= 1
            if MALLOC_TRIM is not None and self._busy == 0:
                self._trim = loop.call_later(IDLE_TRIM_S, self._release_memory)

    def _release_memory(self) -> None:
        """Trims the heap on the model thread (never beside a generation)."""
        self._trim = None
        assert MALLOC_TRIM is not None
        try:
            self._executor.submit(MALLOC_TRIM, 0)
        except RuntimeError:
            return  # shut down meanwhile
        self.trims += 1

    def shutdown(self, wait: float = EXIT_WAIT) -> None:
        """Stops the model thread, and waits up to ``wait`` seconds for loads in progress to end
        (a load that never ends, such as a FIFO read, is left behind after that)."""
        if self._trim is not None:
            self._trim.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + wait
        for thread in list(self._loading):
            thread.join(max(0.0, deadline - time.monotonic()))
