"""A short soak of the real server (CI variant of ``soak.py``; the full 10,000-request run is
reported in the issue): every request answered or cancelled, RSS flat after warm-up."""

from __future__ import annotations

from pathlib import Path

from completion.engine import DEFAULT_MODEL_DIR
from completion.prefix_cache import kv_bytes_per_token
from tests.e2e.soak import run

ANSWERED = {"result", "-32800", "-32801"}  # a result, RequestCancelled, ContentModified
# glibc raises its mmap threshold each time a large block is freed (the 1 MB document's text),
# so later large blocks come from the heap and freed ones stay there: RSS then climbs for
# 40-150 requests to a plateau whose height differs by machine (measured 226-345 MB), and the
# bound below failed one run in five. A fixed threshold keeps RSS close to what the server
# holds, which is what a leak grows (measured: 127-154 MB, 15-21 MB growth after warm-up).
FIXED_MMAP_THRESHOLD = {"MALLOC_MMAP_THRESHOLD_": str(1 << 20)}


def prefix_cache_budget() -> int:
    """The shipped model's automatic prefix-cache budget (four 512-token windows)."""
    return 4 * 512 * kv_bytes_per_token(DEFAULT_MODEL_DIR / "model.bin", "cpu")


async def test_requests_with_edits_and_closes_keep_memory_flat(tmp_path: Path) -> None:
    soak = await run(tmp_path, requests=100, every=10, env=FIXED_MMAP_THRESHOLD)
    assert sum(soak.answers.values()) == 100 and set(soak.answers) <= ANSWERED, soak.answers
    assert soak.answers["result"] >= 60
    # 800 didChange notifications: pygls kept ~2 KB each; the 1 MB neighbour's snippet windows
    # were kept per version (17.6 MB an edit, 5 edits in the second half). Bounded now: after
    # the warm-up no growth past noise and the prefix cache, which fills up to its budget.
    assert soak.growth_after(50) < 25_000 + prefix_cache_budget() // 1024, soak.rss
    assert soak.stats["cacheEntries"] <= 256
