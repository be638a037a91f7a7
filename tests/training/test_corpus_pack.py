"""training/pack.py: the tokenized corpus in one file, carried to a machine that cannot build it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training import pack
from training import tokenizer as tokmod


def _pack(tok_hash: str = "abc") -> pack.CorpusPack:
    rng = np.random.default_rng(0)
    return pack.CorpusPack(
        train_ids=[rng.integers(0, 50_000, n).astype(np.int64) for n in (5, 0, 300, 1)],
        valid_ids=[rng.integers(0, 50_000, 40).astype(np.int64)],
        train_chars=1_234,
        valid_chars=160,
        manifest={"totals": {"train": {"files": 4}}, "python_version": "3.11.7"},
        tokenizer_hash=tok_hash,
    )


def test_a_pack_reads_back_as_written(tmp_path: Path) -> None:
    written = _pack()
    pack.save(tmp_path / "sub" / "corpus.npz", written)
    read = pack.load(tmp_path / "sub" / "corpus.npz")
    assert [a.tolist() for a in read.train_ids] == [a.tolist() for a in written.train_ids]
    assert [a.tolist() for a in read.valid_ids] == [a.tolist() for a in written.valid_ids]
    assert all(a.dtype == np.int64 for a in read.train_ids + read.valid_ids)
    assert (read.train_chars, read.valid_chars) == (1_234, 160)
    assert read.manifest == written.manifest and read.tokenizer_hash == "abc"
    assert not list(tmp_path.glob("sub/*.tmp*"))


def test_what_is_not_a_pack_is_refused_with_its_name(tmp_path: Path) -> None:
    for name, data in (("text.npz", b"hello"), ("cut.npz", b"PK\x03\x04 cut short")):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError, match=f"{name} is not a corpus pack"):
            pack.load(tmp_path / name)
    with pytest.raises(ValueError, match="missing.npz is not a corpus pack"):
        pack.load(tmp_path / "missing.npz")


def test_the_tokenizer_hash_tells_tokenizers_apart() -> None:
    texts = ["def f(x):\n    return x\n\n\nclass A:\n    pass\n"] * 50
    a, b = tokmod.build(texts, vocab_size=300), tokmod.build(texts, vocab_size=280)
    assert pack.tokenizer_hash(a) == pack.tokenizer_hash(tokmod.build(texts, vocab_size=300))
    assert pack.tokenizer_hash(a) != pack.tokenizer_hash(b)


def test_a_device_this_machine_lacks_is_refused_before_any_work(tmp_path, monkeypatch) -> None:
    pytest.importorskip("torch", reason="the training recipe needs torch")
    import sys

    from training.__main__ import main

    argv = ["python -m training", "--device", "no-such-device", "--work", str(tmp_path)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit, match="device 'no-such-device' is not available here"):
        main()
    assert list(tmp_path.iterdir()) == []
