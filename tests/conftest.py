"""Shared fixtures: the shipped default model, loaded once per test session."""

from __future__ import annotations

import pytest

from completion import CT2Engine


@pytest.fixture(scope="session")
def engine() -> CT2Engine:
    # One thread: the shipped model is small enough that one thread beats two, and the
    # tests then leave a core free.
    return CT2Engine(None, device="cpu", threads=1)
