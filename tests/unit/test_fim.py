"""FIM template detection from real tokenizers carrying each family's special tokens."""

from __future__ import annotations

import pytest
from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers

from completion.fim import FIM_TABLE, detect, family_label, for_format, stop_tokens

FAMILY_TOKENS = {
    "starcoder": ["<|endoftext|>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>"],
    "qwen2.5-coder": [
        "<|endoftext|>",
        "<|fim_prefix|>",
        "<|fim_middle|>",
        "<|fim_suffix|>",
        "<|fim_pad|>",
        "<|repo_name|>",
        "<|file_sep|>",
        "<|im_end|>",
    ],
    "deepseek-coder": [
        "<｜begin▁of▁sentence｜>",
        "<｜end▁of▁sentence｜>",
        "<｜fim▁hole｜>",
        "<｜fim▁begin｜>",
        "<｜fim▁end｜>",
        "<|EOT|>",
    ],
    "codegemma": [
        "<bos>",
        "<eos>",
        "<|fim_prefix|>",
        "<|fim_middle|>",
        "<|fim_suffix|>",
        "<|file_separator|>",
    ],
    "codellama": ["<s>", "</s>", "▁<PRE>", "▁<MID>", "▁<SUF>", "▁<EOT>"],
}


def make_tokenizer(special: list[str]) -> Tokenizer:
    """A real (tiny) BPE tokenizer trained on a few lines, with the given special tokens."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    from tokenizers import trainers

    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(["def f(x):\n    return x + 1\n"] * 20, trainer=trainer)
    tok.add_special_tokens([AddedToken(t, special=True) for t in special])
    return tok


@pytest.mark.parametrize("family", sorted(FAMILY_TOKENS))
def test_each_family_is_detected(family: str) -> None:
    tok = make_tokenizer(FAMILY_TOKENS[family])
    tpl = detect(tok.get_vocab())
    assert tpl is not None and tpl.family == family
    stops = stop_tokens(tok.get_vocab(), tpl)
    assert stops, "every family has at least one end token"
    assert all(s in tok.get_vocab() for s in stops)


def test_codellama_without_sentencepiece_marker_is_detected() -> None:
    tok = make_tokenizer(["<s>", "</s>", "<PRE>", "<MID>", "<SUF>", "<EOT>"])
    tpl = detect(tok.get_vocab())
    assert tpl is not None and tpl.family == "codellama"
    assert tpl.prefix == "<PRE>" and "<EOT>" in tpl.stop


def test_no_fim_tokens_means_prefix_only() -> None:
    tok = make_tokenizer(["<|endoftext|>"])
    assert detect(tok.get_vocab()) is None
    assert stop_tokens(tok.get_vocab(), None) == ("<|endoftext|>",)


def test_render_orders_prefix_suffix_middle() -> None:
    star = next(t for t in FIM_TABLE if t.family == "starcoder")
    assert star.render("a = ", "\nb") == "<fim_prefix>a = <fim_suffix>\nb<fim_middle>"
    llama = next(t for t in FIM_TABLE if t.family == "codellama")
    assert llama.render("x", "y").startswith("<s>▁<PRE> x▁<SUF>y")


def test_suffix_first_order_and_formats() -> None:
    star = next(t for t in FIM_TABLE if t.family == "starcoder")
    spm = for_format(star, "spm")
    assert spm is not None and spm.order == "spm"
    assert spm.render("a = ", "\nb") == "<fim_prefix><fim_suffix>\nb<fim_middle>a = "
    assert for_format(star, "fim") is star and for_format(star, "prefix") is None
    assert for_format(None, "spm") is None  # no FIM tokens: prefix-only prompts
    with pytest.raises(ValueError, match="auto, fim, spm, prefix"):
        for_format(star, "middle-first")
    assert family_label(star, spm) == "starcoder (suffix-first prompts)"
    assert family_label(star, None) == "starcoder (prefix-only prompts)"
    assert family_label(None, None) == "plain" and family_label(star, star) == "starcoder"


def test_shipped_model_is_starcoder_family(engine) -> None:
    assert engine.template is not None and engine.template.family == "starcoder"
    # Its card asks for suffix-first prompts: on held-out holes they cost its middle tokens
    # less than prefix-only prompts, which cost less than prefix-suffix-middle ones.
    assert engine.prompt_template is not None and engine.prompt_template.order == "spm"
    assert engine.info.family == "starcoder (suffix-first prompts)"
