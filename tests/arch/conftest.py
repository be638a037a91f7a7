"""Session fixtures: every tiny architecture built once with transformers, then converted once."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_models import TINY, build, need_convert_extra


@pytest.fixture(scope="session")
def hf_dirs(tmp_path_factory) -> dict[str, Path]:
    need_convert_extra()
    root = tmp_path_factory.mktemp("hf")
    return {case.name: build(case, root / case.name) for case in TINY}


@pytest.fixture(scope="session")
def converted(hf_dirs, tmp_path_factory) -> dict:
    from completion.convert import convert

    root = tmp_path_factory.mktemp("ct2")
    return {name: convert(path, root / name, threads=1) for name, path in hf_dirs.items()}
