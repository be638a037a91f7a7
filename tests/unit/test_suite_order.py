"""The suite's scheduling table names real files: a renamed long file would silently run last."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import LONG_FILES

TESTS = Path(__file__).resolve().parents[1]


def test_every_long_file_exists_once() -> None:
    assert len(set(LONG_FILES)) == len(LONG_FILES)
    missing = [name for name in LONG_FILES if not (TESTS / name).is_file()]
    assert not missing, f"tests/conftest.py LONG_FILES names files that do not exist: {missing}"
