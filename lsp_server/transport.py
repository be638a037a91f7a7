"""Runs LSP sessions over stdio or TCP: bounded framing, one server per TCP connection (sharing
only the loaded model), and a clean end on disconnect, ``exit`` or SIGTERM.

pygls' own TCP mode has one protocol object for every connection: the last client to connect
received everyone's responses, and the first disconnect stopped the server for all.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, BinaryIO

from completion import Engine

from .config import ModelOptions
from .framing import Framer, Malformed
from .model_host import ModelHost, load_engine
from .rpc import EdgeProtocol, decode
from .state import EntropyServer

log = logging.getLogger(__name__)
READ_SIZE = 64 * 1024


def dispatch(server: EntropyServer, framer: Framer, body: bytes) -> None:
    """Decodes one frame's body and hands it to the protocol."""
    try:
        value = decode(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        log.debug("skipped a frame that is not JSON: %s", str(exc)[:120])
        framer.reject(body)  # it may hold the start of the next frame
        return
    protocol = server.protocol
    try:
        protocol.handle_message(protocol.structure_message(value))
    except Exception:  # a bug, not the client's: keep serving
        log.exception("failed to handle a message")


async def run_session(
    server: EntropyServer, read: Callable[[], Awaitable[bytes]], writer: Any
) -> int | None:
    """Serves one client until it leaves or sends ``exit``; returns exit's code (None: it left).

    Args:
        server: a fresh server for this client.
        read: returns the next bytes from the client, b"" once it has gone.
        writer: pygls' writer interface (``write(bytes)``, ``close()``) back to the client.
    """
    protocol = server.protocol
    assert isinstance(protocol, EdgeProtocol)
    protocol.set_writer(writer)
    framer = Framer()
    try:
        while protocol.exit_code is None:
            try:
                data = await read()
            except OSError:  # a reset connection is a client that left
                data = b""
            if not data:
                break
            framer.feed(data)
            while protocol.exit_code is None and (item := framer.next()) is not None:
                if isinstance(item, Malformed):
                    log.debug("skipped %d bytes: %s", item.skipped, item.reason)
                else:
                    dispatch(server, framer, item)
    finally:
        server.release()
    return protocol.exit_code


class StreamWriter:
    """pygls' writer over a byte stream or socket; a client that has gone is not an error."""

    def __init__(self, write: Callable[[bytes], Any], close: Callable[[], Any]) -> None:
        self._write, self._close = write, close
        self.gone = False

    def write(self, data: bytes) -> None:
        if self.gone:
            return
        try:
            self._write(data)
        except (OSError, ValueError):  # broken pipe, or a closed stream
            self.gone = True

    def close(self) -> None:
        self.gone = True
        try:
            self._close()
        except (OSError, ValueError):
            pass


def _stdin_reader(loop: asyncio.AbstractEventLoop, fd: int) -> Callable[[], Awaitable[bytes]]:
    """Reads stdin on a daemon thread (a pool thread blocked in read would hold up the exit)."""
    chunks: asyncio.Queue[bytes] = asyncio.Queue(maxsize=4)  # backpressure on a flooding client

    def pump() -> None:
        while True:
            try:
                data = os.read(fd, READ_SIZE)
            except OSError:
                data = b""
            asyncio.run_coroutine_threadsafe(chunks.put(data), loop).result()
            if not data:
                return

    threading.Thread(target=pump, name="entropy-stdin", daemon=True).start()
    return chunks.get


def _stop_on_signals(stop: Callable[[], object]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)


def serve_stdio(factory: Callable[[], EntropyServer], stdout: BinaryIO | None = None) -> int:
    """The editor's case: one client on stdin/stdout. Returns the process exit code."""
    out = stdout or sys.stdout.buffer

    def write(data: bytes) -> None:
        out.write(data)
        out.flush()

    async def main() -> int:
        session = asyncio.ensure_future(
            run_session(
                factory(),
                _stdin_reader(asyncio.get_running_loop(), sys.stdin.fileno()),
                StreamWriter(write, out.close),
            )
        )
        _stop_on_signals(session.cancel)
        try:
            code = await session
        except asyncio.CancelledError:
            log.info("stopped by a signal")
            return 0
        return 0 if code is None else code

    return asyncio.run(main())


class SharedEngines:
    """A model loader for the TCP clients: a model is loaded once while any client holds it
    (the engine is read-only; CTranslate2 queues calls from several threads)."""

    def __init__(self, load: Callable[[ModelOptions], Engine] = load_engine) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._engines: weakref.WeakValueDictionary[ModelOptions, Engine] = (
            weakref.WeakValueDictionary()
        )

    def __call__(self, options: ModelOptions) -> Engine:
        with self._lock:  # a second client asking meanwhile waits for this load
            engine = self._engines.get(options)
            if engine is None:
                engine = self._load(options)
                try:
                    self._engines[options] = engine
                except TypeError:  # an engine without weak references is simply not shared
                    pass
            return engine


def serve_tcp(host: str, port: int, factory: Callable[[ModelHost], EntropyServer]) -> int:
    """Listens for clients, each with its own server; ends on SIGTERM, or on an ``exit`` from
    the only client connected (so an editor that started the server for itself stops it).
    Raises OSError when it cannot listen."""
    engines = SharedEngines()

    async def main() -> int:
        stop = asyncio.Event()
        clients: set[asyncio.Task[Any]] = set()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            peer = writer.get_extra_info("peername")
            log.info("client %s connected", peer)
            task = asyncio.current_task()
            assert task is not None
            clients.add(task)
            out = StreamWriter(writer.write, writer.close)
            code: int | None = None
            try:
                code = await run_session(
                    factory(ModelHost(engines)), lambda: reader.read(READ_SIZE), out
                )
            except asyncio.CancelledError:
                pass  # the server is stopping (asyncio would log a cancelled handler's traceback)
            finally:
                clients.discard(task)
                out.close()
            log.info("client %s %s", peer, "left" if code is None else f"sent exit ({code})")
            if code is not None and not clients:
                stop.set()

        listener = await asyncio.start_server(connection, host, port)
        log.info("listening on %s", ", ".join(str(s.getsockname()) for s in listener.sockets))
        _stop_on_signals(stop.set)
        async with listener:
            await stop.wait()
            for task in list(clients):
                task.cancel()
            await asyncio.gather(*clients, return_exceptions=True)
        return 0

    return asyncio.run(main())
