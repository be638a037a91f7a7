"""`models check` and `convert` input checks on small hand-made directories (no torch needed)."""

from __future__ import annotations

import json
import shutil
import struct
import sys
from pathlib import Path

import pytest
from tokenizers import Tokenizer, models

from completion import DEFAULT_MODEL_DIR, CT2Engine, NotADecoderModelError
from completion.convert import (
    QUANTIZATIONS,
    ConversionError,
    check_decoder,
    context_length,
    convert,
)
from completion.inspect import check, devices
from completion.modelbin import read_header
from lsp_server.__main__ import main


def _string(s: str) -> bytes:
    raw = s.encode() + b"\0"
    return struct.pack("<H", len(raw)) + raw


def write_model_bin(path: Path, spec: str, variables: tuple = ()) -> None:
    """A model.bin in CTranslate2's binary format 6: spec, revision, (name, shape, float32 data)."""
    out = struct.pack("<I", 6) + _string(spec) + struct.pack("<II", 1, len(variables))
    for name, shape in variables:
        size = 4 * int(__import__("math").prod(shape))
        out += _string(name) + struct.pack("<B", len(shape))
        out += b"".join(struct.pack("<I", d) for d in shape) + struct.pack("<BI", 0, size)
        out += bytes(size)
    path.write_bytes(out + struct.pack("<I", 0))


def write_tokenizer(path: Path, tokens: list[str]) -> None:
    tok = Tokenizer(models.WordLevel({t: i for i, t in enumerate(tokens)}, unk_token=tokens[0]))
    tok.save(str(path))


@pytest.fixture
def decoder_dir(tmp_path) -> Path:
    """A decoder model.bin with a 4-token embedding, its vocabulary and a matching tokenizer."""
    d = tmp_path / "model"
    d.mkdir()
    layer = "decoder/layer_0/self_attention/linear_0/weight"
    write_model_bin(
        d / "model.bin",
        "TransformerDecoderSpec",
        (("decoder/embeddings/weight", (4, 8)), (layer, (8, 8))),
    )
    (d / "vocabulary.json").write_text(json.dumps(["<unk>", "a", "b", "c"]))
    write_tokenizer(d / "tokenizer.json", ["<unk>", "a", "b", "c"])
    return d


def test_header_of_the_shipped_model() -> None:
    h = read_header(DEFAULT_MODEL_DIR / "model.bin")
    assert h.spec == "TransformerDecoderSpec" and h.kind == "decoder"
    assert h.weight_dtype == "int8" and h.layers >= 1 and len(h.embedding_shape) == 2


def test_shipped_model_is_usable_on_cpu() -> None:
    r = check(DEFAULT_MODEL_DIR, device="cpu", load=True)
    assert r.ok and r.reason is None, r.reason
    assert r.family == "starcoder" and r.tokenizer_vocab == r.model_vocab
    assert r.device == "cpu" and r.compute_type == "int8" and r.load_seconds is not None
    cpu = next(d for d in devices() if d.device == "cpu")
    assert "int8" in cpu.compute_types and cpu.auto == "int8"


def test_synthetic_decoder_passes_static_checks(decoder_dir) -> None:
    r = check(decoder_dir, device="cpu")
    assert r.ok, r.reason
    assert (r.layers, r.hidden_size, r.model_vocab, r.weights) == (1, 8, 4, "float32")
    assert r.family == "plain" and any("prefix-only" in n for n in r.notes)


@pytest.mark.parametrize(
    ("breakage", "reason"),
    [
        ("no_model_bin", "has no model.bin: convert the model with 'entropy-complete convert'"),
        ("hf_dir", "is a Hugging Face model (LlamaForCausalLM), not a CTranslate2 one"),
        ("truncated", "model.bin is truncated: convert the model again"),
        ("encoder_decoder", "holds a CTranslate2 encoder-decoder model (TransformerSpec)"),
        ("encoder", "holds a CTranslate2 encoder model (TransformerEncoderSpec)"),
        ("whisper", "holds a CTranslate2 speech encoder-decoder model (WhisperSpec)"),
        ("no_tokenizer", "has no tokenizer.json: copy the model's tokenizer.json there"),
        ("bad_tokenizer", "tokenizer.json cannot be read"),
        (
            "other_tokenizer",
            "does not match the model's vocabulary (1 of 4 ids differ, first at id 2)",
        ),
    ],
)
def test_unusable_directory_gets_a_one_line_reason(decoder_dir, breakage, reason) -> None:
    d = decoder_dir
    if breakage in ("no_model_bin", "hf_dir"):
        (d / "model.bin").unlink()
    if breakage == "hf_dir":
        (d / "config.json").write_text(json.dumps({"architectures": ["LlamaForCausalLM"]}))
    if breakage == "truncated":
        (d / "model.bin").write_bytes((d / "model.bin").read_bytes()[:40])
    spec = {"encoder_decoder": "TransformerSpec", "encoder": "TransformerEncoderSpec"}
    spec["whisper"] = "WhisperSpec"
    if breakage in spec:
        write_model_bin(d / "model.bin", spec[breakage])
    if breakage == "no_tokenizer":
        (d / "tokenizer.json").unlink()
    if breakage == "bad_tokenizer":
        (d / "tokenizer.json").write_text("{not json")
    if breakage == "other_tokenizer":
        write_tokenizer(d / "tokenizer.json", ["<unk>", "a", "x", "c"])
    r = check(d)
    assert not r.ok and reason in r.reason and "\n" not in r.reason


def test_engine_refuses_a_non_decoder(decoder_dir) -> None:
    write_model_bin(decoder_dir / "model.bin", "TransformerSpec")
    with pytest.raises(NotADecoderModelError, match=r"encoder-decoder model \(TransformerSpec\)"):
        CT2Engine(decoder_dir, device="cpu")


def test_device_and_compute_type_are_checked(decoder_dir) -> None:
    if not any(d.device == "cuda" for d in devices()):
        r = check(decoder_dir, device="cuda")
        assert not r.ok and r.reason == "no cuda device visible to CTranslate2: use --device cpu"
    cpu = next(d for d in devices() if d.device == "cpu")
    missing = [q for q in QUANTIZATIONS if q not in cpu.compute_types]
    if missing:
        r = check(decoder_dir, device="cpu", compute_type=missing[0])
        assert not r.ok and f"compute type {missing[0]} is not supported on cpu" in r.reason


def test_cli_models_check_exit_codes(decoder_dir, tmp_path, capsys) -> None:
    assert main(["models", "check", str(DEFAULT_MODEL_DIR), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "FIM family    starcoder" in out and "usable        yes" in out
    (decoder_dir / "tokenizer.json").unlink()
    assert main(["models", "check", str(decoder_dir)]) == 1
    assert "usable        no: " in capsys.readouterr().out
    assert main(["models", "check", str(decoder_dir), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and "no tokenizer.json" in data["reason"]
    assert main(["models", "check", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert (
        err.strip() == f"entropy-complete: error: model directory not found: {tmp_path / 'missing'}"
    )


def test_context_length_and_decoder_checks() -> None:
    assert context_length({"max_position_embeddings": 32768}) == 32768
    assert context_length({"n_positions": 1024, "n_ctx": 1024}) == 1024
    assert context_length({"text_config": {"max_position_embeddings": 8192}}) == 8192
    assert context_length({}) is None
    assert check_decoder({"architectures": ["Qwen2ForCausalLM"]}, Path("m")) == "Qwen2ForCausalLM"
    assert check_decoder({"architectures": ["GPT2LMHeadModel"]}, Path("m")) == "GPT2LMHeadModel"
    with pytest.raises(ConversionError, match="encoder-decoder model"):
        check_decoder(
            {"architectures": ["T5ForConditionalGeneration"], "is_encoder_decoder": True}, Path("m")
        )
    with pytest.raises(ConversionError, match="BertForMaskedLM, not a causal language model"):
        check_decoder({"architectures": ["BertForMaskedLM"]}, Path("m"))


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("none", ["--quantization", "int4"], "unknown quantization 'int4': use one of int8,"),
        ("none", ["--context-length", "8"], "context length 8 is too small: use at least 64"),
        ("missing", [], "is not a directory: download the model first"),
        ("no_config", [], "has no config.json: pass a Hugging Face model directory"),
        ("seq2seq", [], "holds an encoder-decoder model (T5ForConditionalGeneration)"),
        ("out_exists", [], "already exists: pass --force to replace it"),
        ("out_not_model", ["--force"], "is not empty and holds no model.bin: choose an empty"),
        ("out_is_source", [], "holds the source model: choose another output directory"),
    ],
)
def test_cli_convert_bad_input_exits_2_with_one_line(
    tmp_path, capsys, setup, args, message
) -> None:
    hf, out = tmp_path / "hf", tmp_path / "out"
    if setup != "missing":
        hf.mkdir()
    if setup not in ("missing", "no_config"):
        cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama"}
        if setup == "seq2seq":
            cfg = {"architectures": ["T5ForConditionalGeneration"], "is_encoder_decoder": True}
        (hf / "config.json").write_text(json.dumps(cfg))
    if setup in ("out_exists", "out_not_model"):
        out.mkdir()
        (out / "notes.txt").write_text("mine")
    if setup == "out_is_source":
        out = hf
    assert main(["convert", str(hf), str(out), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and err.startswith("entropy-complete: error: ")
    if setup == "out_not_model":
        assert (out / "notes.txt").read_text() == "mine"  # --force never deletes a non-model dir


def test_convert_api_rejects_before_importing_torch(tmp_path) -> None:
    with pytest.raises(ConversionError, match="unknown quantization"):
        convert(tmp_path, tmp_path / "out", quantization="fp8")
    shutil.rmtree(tmp_path)
    with pytest.raises(ConversionError, match="is not a directory"):
        convert(tmp_path, tmp_path.parent / "out")


def test_convert_without_the_extra_says_what_to_install(tmp_path, monkeypatch) -> None:
    hf = tmp_path / "hf"
    hf.mkdir()
    (hf / "config.json").write_text(json.dumps({"architectures": ["LlamaForCausalLM"]}))
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails, as when absent
    with pytest.raises(
        ConversionError, match=r"\(torch is missing\): pip install 'entropy-complete\[convert\]'"
    ):
        convert(hf, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_automatic_threads_pick_one_for_small_models(tmp_path) -> None:
    from completion.modeldir import SMALL_MODEL_BYTES, auto_threads

    assert auto_threads(tmp_path) == 0  # no model.bin: leave it to CTranslate2
    small = tmp_path / "model.bin"
    small.write_bytes(b"\0" * 1024)
    assert auto_threads(tmp_path) == 1
    with small.open("r+b") as fh:  # sparse: no real disk used
        fh.truncate(SMALL_MODEL_BYTES + 1)
    assert auto_threads(tmp_path) == 0
