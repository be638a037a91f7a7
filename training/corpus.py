"""Builds the licensed training corpus and its manifest.

Two corpora: ``stdlib`` (the running interpreter's standard library, PSF licence) and
``extended`` (the stdlib plus the pinned, permissively licensed distributions in
``sources.THIRD_PARTY``). The held-out slice is the stdlib's in both, so numbers compare.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sysconfig
from dataclasses import asdict, dataclass
from pathlib import Path

from . import sources

CORPORA = ("stdlib", "extended")
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
    source: str = "stdlib"  # "stdlib" or a distribution name from sources.THIRD_PARTY


def _bucket(rel: str, salt: str) -> float:
    """A stable number in [0, 1) for a path, so splits do not depend on the seed or machine."""
    digest = hashlib.sha256(f"{salt}:{rel}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def _is_test(rel: str) -> bool:
    """Test code by path: a test(s)/testing directory or a test_*.py file."""
    parts = set(rel.split("/"))
    return bool(parts & {"test", "tests", "testing"}) or rel.rsplit("/", 1)[-1].startswith("test_")


def collect(corpus: str = "extended", root: Path | None = None) -> list[CorpusFile]:
    """The corpus's files with their split; see the module docstring."""
    if corpus not in CORPORA:
        raise ValueError(f"unknown corpus {corpus!r}; choose one of {', '.join(CORPORA)}")
    files = collect_stdlib(root)
    if corpus == "extended":
        base = root or stdlib_root()
        held_out = {
            f.path.rsplit("/", 1)[-1]: _line_set((base / f.path).read_text("utf-8"))
            for f in files
            if f.split == "valid"
        }
        files += collect_third_party({f.sha256 for f in files}, held_out)
    return files


def _line_set(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if len(line.strip()) > 8}


def near_copy(name: str, text: str, held_out: dict[str, set[str]]) -> bool:
    """True for a copy of a held-out stdlib file (setuptools vendors distutils, for example)."""
    lines = held_out.get(name.rsplit("/", 1)[-1])
    if not lines:
        return False
    return len(lines & _line_set(text)) > 0.3 * len(lines)


def collect_third_party(
    seen: set[str], held_out: dict[str, set[str]] | None = None
) -> list[CorpusFile]:
    """Train-only files of the pinned distributions, minus duplicates, generated files and
    copies of held-out stdlib files."""
    import warnings

    files: list[CorpusFile] = []
    for name, (pinned, _licence) in sources.THIRD_PARTY.items():
        version, found = sources.files_of(name)
        if version != pinned:
            warnings.warn(
                f"corpus source {name} is {version}, the recipe pins {pinned}: "
                "numbers may differ (pip install -r training/corpus-requirements.txt)",
                stacklevel=2,
            )
        for rel, data in found:
            if not data.strip() or len(data) > MAX_FILE_BYTES:
                continue
            digest = hashlib.sha256(data).hexdigest()
            if digest in seen:
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if sources.looks_generated(text) or near_copy(rel, text, held_out or {}):
                continue
            is_test = _is_test(rel)
            if is_test and _bucket(f"{name}/{rel}", "test-keep") >= TEST_KEEP_SHARE:
                continue
            seen.add(digest)
            files.append(CorpusFile(rel, len(data), digest, "train", is_test, name))
    return files


def collect_stdlib(root: Path | None = None) -> list[CorpusFile]:
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
        is_test = _is_test(rel)
        if is_test and _bucket(rel, "test-keep") >= TEST_KEEP_SHARE:
            continue
        split = "valid" if _bucket(rel, "valid") < VALID_SHARE else "train"
        files.append(CorpusFile(rel, len(data), hashlib.sha256(data).hexdigest(), split, is_test))
    return files


def licence_summary(files: list[CorpusFile]) -> str:
    used = sorted({f.source for f in files} - {"stdlib"})
    if not used:
        return LICENCE
    licences = sorted({sources.THIRD_PARTY[n][1] for n in used})
    return f"{LICENCE} for the stdlib; {len(used)} third-party distributions: " + "; ".join(
        licences
    )


def third_party_rows(manifest: dict) -> list[dict]:
    """The manifest's third-party sources as the model card lists them."""
    keys = ("distribution", "version", "licence", "bytes")
    return [{k: t[k] for k in keys} for t in manifest.get("third_party", [])]


def write_manifest(files: list[CorpusFile], out: Path, root: Path | None = None) -> dict:
    """Writes manifest.json: every file with size, sha256, split, source, and the licences."""
    root = root or stdlib_root()
    third = sorted({f.source for f in files} - {"stdlib"})
    manifest = {
        "source": "CPython standard library (Lib/) of the interpreter that ran the recipe"
        + (", plus the third-party distributions below (train split only)" if third else ""),
        "root": str(root),
        "python_version": platform.python_version(),
        "licence": licence_summary(files),
        "third_party": [
            {
                "distribution": n,
                "version": sources.THIRD_PARTY[n][0],
                "licence": sources.THIRD_PARTY[n][1],
                "files": sum(1 for f in files if f.source == n),
                "bytes": sum(f.size for f in files if f.source == n),
            }
            for n in third
        ],
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
    roots = {"stdlib": root or stdlib_root()}
    texts = []
    for f in files:
        if f.split == split:
            if f.source not in roots:
                roots[f.source] = sources.root_of(f.source)
            # Normalising line ends keeps "\n" the only newline.
            texts.append((roots[f.source] / f.path).read_text("utf-8").replace("\r\n", "\n"))
    return texts
