"""The tokenized corpus in one file, for a machine that cannot build it (``--corpus-pack``).

A GPU machine lent for a few minutes has no internet and another Python (so another standard
library): the corpus is collected and tokenized here, packed, and carried there with the repo.
The pack keeps the token ids of every train and held-out file, the held-out characters (for
bits per character), the manifest, and a hash of the tokenizer that made it; a run with another
tokenizer refuses it.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True, slots=True)
class CorpusPack:
    train_ids: list[np.ndarray]
    valid_ids: list[np.ndarray]
    train_chars: int
    valid_chars: int
    manifest: dict
    tokenizer_hash: str


def tokenizer_hash(tok) -> str:
    """The tokenizer's identity: its full serialised form (vocabulary, merges, specials)."""
    return hashlib.sha256(tok.to_str().encode("utf-8")).hexdigest()[:16]


def _flat(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.array([len(a) for a in arrays], dtype=np.int64)
    ids = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)
    return ids.astype(np.uint32), lengths


def _split(ids: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    bounds = np.cumsum(lengths)[:-1]
    return [part.astype(np.int64) for part in np.split(ids, bounds)] if len(lengths) else []


def save(path: Path, pack: CorpusPack) -> None:
    """Writes the pack (compressed npz; ~40% of the raw ids for Python source)."""
    train, train_len = _flat(pack.train_ids)
    valid, valid_len = _flat(pack.valid_ids)
    meta = {
        "train_chars": pack.train_chars,
        "valid_chars": pack.valid_chars,
        "manifest": pack.manifest,
        "tokenizer_hash": pack.tokenizer_hash,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(
        tmp,
        train=train,
        train_len=train_len,
        valid=valid,
        valid_len=valid_len,
        meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
    )
    tmp.replace(path)


def load(path: Path) -> CorpusPack:
    """Reads a pack written by ``save``; ValueError with the reason if it is not one."""
    try:
        with np.load(path) as z:
            meta = json.loads(bytes(z["meta"]).decode("utf-8"))
            return CorpusPack(
                train_ids=_split(z["train"], z["train_len"]),
                valid_ids=_split(z["valid"], z["valid_len"]),
                train_chars=int(meta["train_chars"]),
                valid_chars=int(meta["valid_chars"]),
                manifest=meta["manifest"],
                tokenizer_hash=str(meta["tokenizer_hash"]),
            )
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        # numpy's own reasons (pickled data, a bad zip) would only confuse: say what it is not
        raise ValueError(f"{path} is not a corpus pack written by --corpus-pack") from None
