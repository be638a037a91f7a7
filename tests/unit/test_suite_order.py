"""The suite's scheduling tables name real paths: a renamed long file would silently run last,
and a renamed shared folder would build its session fixtures once per worker again."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import LONG_FILES, SHARED_WORKER

TESTS = Path(__file__).resolve().parents[1]


def _exists(name: str) -> bool:
    return (TESTS / name).is_dir() if name.endswith("/") else (TESTS / name).is_file()


def test_every_scheduled_path_exists_once() -> None:
    assert len(set(LONG_FILES)) == len(LONG_FILES)
    missing = [name for name in (*LONG_FILES, *SHARED_WORKER) if not _exists(name)]
    assert not missing, f"tests/conftest.py names paths that do not exist: {missing}"
