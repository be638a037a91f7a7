"""What the workspace index costs on a folder: build time, memory held, update after a save.

``entropy-complete index DIR`` prints these; a test bounds them loosely on this repository.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

from .index import DEFAULT_MAX_BYTES, WorkspaceIndex


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexFigures:
    """One folder's figures: ``traced_mb`` is the memory the built index holds (Python
    allocations, tracemalloc), ``estimate_mb`` the index's own estimate its cap is checked
    against; ``update_ms`` the median time to re-read the largest file after a save."""

    files: int
    definitions: int
    build_s: float
    traced_mb: float
    estimate_mb: float
    over_cap: int
    update_ms: float
    largest_file: str


def measure(
    root: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES, updates: int = 5
) -> IndexFigures:
    """Builds the index of ``root`` twice (timed; then under tracemalloc for its memory) and
    re-reads its largest file ``updates`` times.

    Raises:
        ValueError: ``root`` is not a directory.
    """
    if not Path(root).is_dir():
        raise ValueError(f"not a directory: {root}")
    gc.collect()
    t0 = time.perf_counter()
    index = WorkspaceIndex(root, max_bytes=max_bytes)
    stats = index.build()
    build_s = time.perf_counter() - t0
    del index
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        index = WorkspaceIndex(root, max_bytes=max_bytes)
        index.build()
        gc.collect()
        traced = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    paths = index.paths()
    largest = max(paths, key=lambda p: os.path.getsize(index.root / p)) if paths else ""
    times = []
    for _ in range(updates if largest else 0):
        os.utime(index.root / largest)  # a save that changed nothing costs the same re-read
        t = time.perf_counter()
        index.update(index.root / largest)
        times.append(time.perf_counter() - t)
    return IndexFigures(
        files=stats.files,
        definitions=stats.definitions,
        build_s=build_s,
        traced_mb=traced / 1e6,
        estimate_mb=stats.bytes / 1e6,
        over_cap=stats.over_cap,
        update_ms=1000 * statistics.median(times) if times else 0.0,
        largest_file=largest,
    )
