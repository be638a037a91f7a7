"""Shared fixtures: the shipped default model, loaded once per test session."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from completion import CT2Engine


@pytest.fixture(scope="session")
def engine() -> CT2Engine:
    # One thread: the shipped model is small enough that one thread beats two, and the
    # tests then leave a core free.
    return CT2Engine(None, device="cpu", threads=1)


# Files that take 10 s or more on 2 cores (pytest --durations), longest first. With -n, xdist
# hands out whole files in collection order (pyproject's --no-loadscope-reorder keeps it), so
# these start first and the short files fill in around them; in path order the VS Code test
# started last and one worker idled for ~20 s at the end.
LONG_FILES = (
    "editors/test_vscode.py",
    "e2e/test_soak.py",
    "e2e/test_completion.py",
    "cli/test_complete_cli.py",
    "remote/test_remote_lsp.py",
    "remote/test_remote_engine.py",
    "cli/test_errors.py",
    "model/test_engine.py",
    "e2e/test_options.py",
    "e2e/test_tcp.py",
)
_TESTS = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The long files first (see LONG_FILES); the rest keep their order (a stable sort)."""
    rank = {name: i for i, name in enumerate(LONG_FILES)}

    def key(item: pytest.Item) -> int:
        try:
            return rank.get(item.path.relative_to(_TESTS).as_posix(), len(rank))
        except ValueError:  # a test outside tests/
            return len(rank)

    items.sort(key=key)


def _cgroup_cpus() -> int | None:
    """CPUs a cgroup v2 quota allows ("<quota> <period>" in cpu.max), None without a quota."""
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        return None if quota == "max" else math.ceil(int(quota) / int(period))
    except (OSError, ValueError):  # no cgroup v2 here, or a format this does not know
        return None


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (pyproject's addopts): one worker per core this process may use, counting a
    container's CPU quota, and at most 8 (each worker starts servers that load the model)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, _cgroup_cpus() or 8, 8))
