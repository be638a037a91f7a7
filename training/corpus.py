"""Builds the licensed training corpus (the running interpreter's standard library) and its manifest."""

from __future__ import annotations

import hashlib
import json
import platform
import sysconfig
from dataclasses import asdict, dataclass
from pathlib import Path

LICENCE = "PSF-2.0 (Python Software Foundation License Version 2)"
# The stdlib's tests are more than half of its text; the trial model leaned toward
# unittest-style code when they were all in, so only a fixed share of test files is kept.
TEST_KEEP_SHARE = 0.35
VALID_SHARE = 0.03
MAX_FILE_BYTES = 400_000
SKIP_PARTS = {"site-packages", "lib2to3", "__pycache__", "idle_test", "encodings"}


@dataclass(frozen=True, slots=True)
class CorpusFile:
    path: str  # relative to the stdlib root
    size: int
    sha256: str
    split: str  # "train" or "valid"
    is_test: bool


def _bucket(rel: str, salt: str) -> float:
    """A stable number in [0, 1) for a path, so splits do not depend on the seed or machine."""
    digest = hashlib.sha256(f"{salt}:{rel}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def collect(root: Path | None = None) -> list[CorpusFile]:
    """Lists the stdlib's Python files with their split (valid is a fixed ~3% by path hash)."""
    root = root or stdlib_root()
    files: list[CorpusFile] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        parts = set(rel.split("/"))
        if parts & SKIP_PARTS:
            continue
        data = path.read_bytes()
        if not data.strip() or len(data) > MAX_FILE_BYTES:
            continue
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        is_test = "test" in parts or "tests" in parts or rel.startswith("test_")
        if is_test and _bucket(rel, "test-keep") >= TEST_KEEP_SHARE:
            continue
        split = "valid" if _bucket(rel, "valid") < VALID_SHARE else "train"
        files.append(CorpusFile(rel, len(data), hashlib.sha256(data).hexdigest(), split, is_test))
    return files


def write_manifest(files: list[CorpusFile], out: Path, root: Path | None = None) -> dict:
    """Writes manifest.json: every file with size, sha256, split, and the licence."""
    root = root or stdlib_root()
    manifest = {
        "source": "CPython standard library (Lib/) of the interpreter that ran the recipe",
        "root": str(root),
        "python_version": platform.python_version(),
        "licence": LICENCE,
        "test_keep_share": TEST_KEEP_SHARE,
        "valid_share": VALID_SHARE,
        "totals": {
            split: {
                "files": sum(1 for f in files if f.split == split),
                "bytes": sum(f.size for f in files if f.split == split),
            }
            for split in ("train", "valid")
        },
        "files": [asdict(f) for f in files],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(manifest, indent=1))
    return manifest


def read_texts(files: list[CorpusFile], split: str, root: Path | None = None) -> list[str]:
    root = root or stdlib_root()
    texts = []
    for f in files:
        if f.split == split:
            # Tabs are rare in the stdlib; normalising line ends keeps "\n" the only newline.
            texts.append((root / f.path).read_text("utf-8").replace("\r\n", "\n"))
    return texts
