"""The server's workspace index: built and updated on its own worker thread (never on the event
loop), read by the model thread when a request is grounded."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from completion import CompletionRequest
from completion.workspace import FileLimits, IndexStats, Retrieved, WorkspaceIndex, retrieve

from .config import GroundingOptions

log = logging.getLogger(__name__)


class IndexHost:
    """Holds the index of the workspace folder; every change to it runs on one worker thread,
    in arrival order, so a save during the build waits for the build instead of racing it."""

    def __init__(self) -> None:
        self.index: WorkspaceIndex | None = None
        self.stats: IndexStats | None = None
        self.building = False
        self.updates = 0  # files re-read after a save or a watched-file change
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="entropy-index")
        self._cancel = threading.Event()

    async def build(
        self,
        root: str | Path,
        options: GroundingOptions,
        progress: Callable[[int, int], None] | None = None,
    ) -> IndexStats:
        """Indexes ``root`` off the event loop; ``progress(done, total)`` is called on the
        worker thread. The index answers retrievals while it is being built."""
        index = WorkspaceIndex(
            root,
            max_bytes=options.index_megabytes * 1_000_000,
            limits=FileLimits(
                max_file_bytes=options.max_file_kilobytes * 1000, max_files=options.max_files
            ),
        )
        self.index, self.building = index, True
        loop = asyncio.get_running_loop()
        try:
            stats = await loop.run_in_executor(
                self._pool, lambda: index.build(progress=progress, cancel=self._cancel)
            )
        finally:
            self.building = False
        self.stats = stats
        log.info(
            "indexed %s: %d files, %d definitions, %.1f MB in %.2f s (%d files over the cap)",
            root, stats.files, stats.definitions, stats.bytes / 1e6, stats.seconds, stats.over_cap,
        )  # fmt: skip
        return stats

    async def changed(self, paths: list[str], deleted: list[str]) -> None:
        """Re-reads saved or changed files and forgets deleted ones, off the event loop."""
        index = self.index
        if index is None:
            return

        def work() -> None:
            for p in deleted:
                index.remove(p)
            for p in paths:
                index.update(p)
                self.updates += 1

        await asyncio.get_running_loop().run_in_executor(self._pool, work)

    def retrieve(
        self, request: CompletionRequest, language: str | None, max_chars: int
    ) -> Retrieved | None:
        """The definitions the request's cursor needs (thread-safe; the model thread calls it);
        None without an index or outside its folder."""
        index = self.index
        if index is None or not request.path or index.relative(request.path) is None:
            return None
        return retrieve(
            index, request.text, request.offset, request.path, language, max_chars=max_chars
        )

    def shutdown(self) -> None:
        """Stops a running build at its next file and lets the worker thread go."""
        self._cancel.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
