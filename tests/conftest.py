"""Shared fixtures (the shipped default model, loaded once per test session; a guard that no test
changes it) and how `pytest -n` schedules the files: the long ones first, folders with slow
session fixtures on one worker."""

from __future__ import annotations

import compileall
import hashlib
import math
import os
from collections.abc import Iterable
from pathlib import Path

import pytest

# As the command line does (lsp_server/__main__.py), before numpy is imported: no OpenBLAS
# thread pool in this process, the xdist workers or the processes they start.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from completion import DEFAULT_MODEL_DIR, CT2Engine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("lsp_server", "completion", "ranking", "grammars", "bench", "training")


def pytest_configure(config: pytest.Config) -> None:
    """Bytecode for the project's packages, compiled once before any test. The suite starts
    about 55 server and CLI processes; where PYTHONDONTWRITEBYTECODE is set, each of them compiled
    the same modules from source: 0.09 s of CPU a server start (0.87-0.96 s instead of 0.95-1.08 s
    from start to model loaded). compileall only writes what is stale, into the usual (gitignored)
    __pycache__ folders, and a read-only tree just skips it."""
    if hasattr(config, "workerinput"):  # an xdist worker: the controller did it already
        return
    for package in PACKAGES:
        compileall.compile_dir(ROOT / package, quiet=2, workers=1)


def _shipped_files() -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(DEFAULT_MODEL_DIR.iterdir())
        if p.is_file()
    }


@pytest.fixture(scope="session", autouse=True)
def shipped_model_untouched() -> Iterable[None]:
    """Fails the run when a test wrote into the shipped model's directory (a calibrate run
    without --out or --dry-run writes its confidence.json there, as a user's would)."""
    before = _shipped_files()
    yield
    after = _shipped_files()
    changed = sorted(n for n in before.keys() | after.keys() if before.get(n) != after.get(n))
    assert not changed, f"a test changed the shipped model's files: {changed} (git checkout them)"


@pytest.fixture(scope="session")
def engine() -> CT2Engine:
    # One thread: the shipped model is small enough that one thread beats two, and the
    # tests then leave a core free.
    return CT2Engine(None, device="cpu", threads=1)


# Files (or folders, ending in "/") that take 10 s or more on 2 cores (pytest --durations),
# longest first. With -n, xdist hands out whole files in collection order (pyproject's
# --no-loadscope-reorder keeps it), so these start first and the short files fill in around
# them; in path order the VS Code test started last and one worker idled for ~20 s at the end.
LONG_FILES = (
    "editors/test_vscode.py",
    "remote/",
    "e2e/test_soak.py",
    "arch/",
    "e2e/test_tcp.py",
    "model/test_engine.py",
    "e2e/test_options.py",
    "e2e/test_fuzz.py",
    "e2e/test_protocol_errors.py",
    "bench/test_sandbox.py",
)
# Folders whose files share session fixtures that are slow to build: each runs on one worker,
# so they are built once (the llama.cpp server; the tiny transformers models, whose imports
# take ~8 s, which the training recipe's tests pay too).
SHARED_WORKER = {"remote/": "remote", "arch/": "torch", "training/": "torch"}


def _under_tests(nodeid: str) -> str:
    """A test's file relative to tests/ ("e2e/test_soak.py"), from its node id."""
    return nodeid.split("::", 1)[0].removeprefix("tests/")


def _prefixed(table: Iterable[str], relative: str) -> str | None:
    """The first entry of ``table`` that is ``relative`` or a folder above it."""
    return next(
        (k for k in table if relative == k or (k.endswith("/") and relative.startswith(k))), None
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The long files first (see LONG_FILES); the rest keep their order (a stable sort)."""
    rank = {name: i for i, name in enumerate(LONG_FILES)}

    def key(item: pytest.Item) -> int:
        entry = _prefixed(LONG_FILES, _under_tests(item.nodeid))
        return len(rank) if entry is None else rank[entry]

    items.sort(key=key)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """`--dist loadfile`, except that each SHARED_WORKER folder is one unit of work."""
    if config.getoption("dist", None) != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedFixtures(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = super()._split_scope(nodeid)
            entry = _prefixed(SHARED_WORKER, _under_tests(file))
            return file if entry is None else f"shared:{SHARED_WORKER[entry]}"

    return SharedFixtures(config, log)


def _cgroup_cpus() -> int | None:
    """CPUs a cgroup v2 quota allows ("<quota> <period>" in cpu.max), None without a quota."""
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        return None if quota == "max" else math.ceil(int(quota) / int(period))
    except (OSError, ValueError):  # no cgroup v2 here, or a format this does not know
        return None


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (pyproject's addopts): one worker more than the cores this process may use
    (counting a container's CPU quota), at most 8 (each worker starts servers that load the
    model). The editor and e2e tests wait on other processes (the VS Code test: 27 s of wall
    time for 10 s of CPU), and the extra worker fills that time: on 2 cores the suite took
    98-101 s with 3 workers and 106-108 s with 2 (two runs each, alternated)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(max(1, min(cores or 1, _cgroup_cpus() or 8)) + 1, 8)
