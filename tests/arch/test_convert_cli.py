"""`entropy-complete convert` and `models check` on real (tiny) checkpoints, and what they refuse."""

from __future__ import annotations

import json
import shutil

import pytest
from tiny_models import BY_NAME, build, drop_fast_tokenizer, need_convert_extra, tokenizer

from completion import CT2Engine, NotADecoderModelError
from completion.convert import ConversionError, convert
from completion.inspect import check
from lsp_server.__main__ import main


def test_cli_convert_then_check(hf_dirs, tmp_path, capsys) -> None:
    out = tmp_path / "gpt2-ct2"
    assert main(["convert", str(hf_dirs["gpt2"]), str(out), "--threads", "1"]) == 0
    text = capsys.readouterr().out
    assert "FIM family    plain (prefix-only)" in text and f"--model {out}" in text

    assert main(["convert", str(hf_dirs["gpt2"]), str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("already exists: pass --force to replace it") and "\n" not in err

    args = ["convert", str(hf_dirs["qwen2"]), str(out), "--force", "--json", "--threads", "1"]
    assert main([*args, "--context-length", "2048"]) == 0
    meta = json.loads(capsys.readouterr().out)
    assert meta["family"] == "qwen2.5-coder" and meta["out_dir"] == str(out)
    assert (meta["context_length"], meta["model_context_length"]) == (2048, 32768)

    assert main(["models", "check", str(out), "--json", "--load"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["family"] == "qwen2.5-coder" and report["load_seconds"] >= 0


def test_slow_tokenizer_gets_a_tokenizer_json(hf_dirs, tmp_path) -> None:
    slow = tmp_path / "gpt2-slow"
    shutil.copytree(hf_dirs["gpt2"], slow)
    drop_fast_tokenizer(slow)
    assert not (slow / "tokenizer.json").exists() and (slow / "merges.txt").exists()
    result = convert(slow, tmp_path / "out", threads=1)
    assert (result.out_dir / "tokenizer.json").exists()
    assert check(result.out_dir).ok  # its vocabulary matches the model's id for id


def test_unsupported_architecture_is_named(tmp_path) -> None:
    """StarCoder2 has no loader in CTranslate2 4.x: the error says so before loading weights."""
    need_convert_extra()
    import transformers

    hf = tmp_path / "starcoder2"
    cfg = transformers.Starcoder2Config(
        vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=1,
    )  # fmt: skip
    cfg.save_pretrained(str(hf))
    with pytest.raises(ConversionError, match="has no converter for Starcoder2Config"):
        convert(hf, tmp_path / "out")


def test_encoder_decoder_is_refused_and_reported(tmp_path) -> None:
    """A T5 checkpoint: convert refuses it; converted anyway, check and the engine say why.

    (T5 rather than BART: CTranslate2 4.8.5's BART loader reads ``normalize_before``, which
    transformers 5 removed.)
    """
    need_convert_extra()
    import transformers
    from ctranslate2.converters import TransformersConverter
    from transformers import PreTrainedTokenizerFast

    case = BY_NAME["gpt2"]
    tok = tokenizer(case)
    cfg = transformers.T5Config(
        vocab_size=tok.get_vocab_size(), d_model=32, d_kv=8, d_ff=64, num_layers=1,
        num_heads=2, decoder_start_token_id=0,
    )  # fmt: skip
    hf = tmp_path / "t5"
    transformers.T5ForConditionalGeneration(cfg).save_pretrained(str(hf))
    PreTrainedTokenizerFast(tokenizer_object=tok, **case.roles).save_pretrained(str(hf))
    with pytest.raises(ConversionError, match="encoder-decoder model"):
        convert(hf, tmp_path / "out")

    ct2 = tmp_path / "t5-ct2"
    TransformersConverter(str(hf), copy_files=["tokenizer.json"]).convert(str(ct2))
    report = check(ct2)
    assert not report.ok and report.kind == "encoder-decoder"
    assert "encoder-decoder model (TransformerSpec)" in report.reason
    with pytest.raises(NotADecoderModelError, match="decoder-only"):
        CT2Engine(ct2, device="cpu")


def test_rebuilt_tiny_model_is_reproducible(tmp_path) -> None:
    """The fixtures' models are a pure function of the seed, so failures can be replayed."""
    need_convert_extra()
    a = build(BY_NAME["gpt2"], tmp_path / "a")
    b = build(BY_NAME["gpt2"], tmp_path / "b")
    assert (a / "model.safetensors").read_bytes() == (b / "model.safetensors").read_bytes()
