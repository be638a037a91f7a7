"""Tiny random Hugging Face models of each supported architecture, with their family's tokens."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

# ENTROPY_COMPLETE_TEST_DEVICE=cuda runs the engine side of these tests on a GPU.
DEVICE = os.environ.get("ENTROPY_COMPLETE_TEST_DEVICE", "cpu")

# A few strings to train the tokenizers on: enough merges for code-like tokens.
CORPUS: tuple[str, ...] = (
    "import os\nimport sys\n\n\ndef read(path):\n    with open(path) as f:\n        return f.read()\n",
    "def add(a, b):\n    return a + b\n\n\nclass Point:\n    def __init__(self, x, y):\n        self.x = x\n",
    "for i in range(10):\n    if i % 2 == 0:\n        print(i, end=' ')\n    else:\n        continue\n",
    "result = [x * x for x in values if x > 0]\nprint(len(result))\n",
)

# Hidden 64, 2 layers, 4 heads: big enough to exercise GQA/MQA, small enough to build in ms.
# A larger init range than the default gives peaked attention, so position bugs show in logits.
SIZE = {"init": 0.2, "hidden": 64, "layers": 2, "heads": 4, "ffn": 128}


def need_convert_extra() -> None:
    """Skips (with the reason) when the [convert] extra is not installed."""
    import pytest

    for mod in ("torch", "transformers"):
        pytest.importorskip(mod, reason=f"{mod} not installed: pip install -e '.[convert]'")


@dataclass(frozen=True, slots=True)
class Tiny:
    """One architecture x family case: how to build its config and tokenizer."""

    name: str
    family: str  # the FIM family the engine must detect ("plain": prefix-only)
    model_class: str  # transformers class
    config: Callable[[int], object]  # model vocab size -> transformers config
    specials: tuple[str, ...]  # the family's real special tokens, as in its tokenizer.json
    roles: dict[str, str]  # bos/eos/unk/pad -> token
    # SentencePiece-style "▁" pieces: "first" adds one before the text (Llama), "never" does
    # not (Gemma); "" means byte-level BPE (GPT-2, StarCoder, Qwen, DeepSeek).
    metaspace: str = ""
    pad_to: int = 1  # model vocab rounded up to a multiple of this (Qwen pads its embeddings)
    context: int = 0  # the context length the config declares


def _cfg(cls_name: str, **kw) -> Callable[[int], object]:
    def make(vocab: int) -> object:
        import transformers

        return getattr(transformers, cls_name)(vocab_size=vocab, **kw)

    return make


_LLAMA = {
    "hidden_size": SIZE["hidden"],
    "intermediate_size": SIZE["ffn"],
    "num_hidden_layers": SIZE["layers"],
    "num_attention_heads": SIZE["heads"],
    "initializer_range": SIZE["init"],
}
_GPT = {
    "n_embd": SIZE["hidden"],
    "n_layer": SIZE["layers"],
    "n_head": SIZE["heads"],
    "initializer_range": SIZE["init"],
}

TINY: tuple[Tiny, ...] = (
    Tiny(
        "llama-codellama",
        "codellama",
        "LlamaForCausalLM",
        _cfg(
            "LlamaConfig",
            **_LLAMA,
            num_key_value_heads=4,
            max_position_embeddings=16384,
            rope_theta=1e6,
        ),
        ("<unk>", "<s>", "</s>", "▁<PRE>", "▁<MID>", "▁<SUF>", "▁<EOT>"),
        {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
        metaspace="first",
        context=16384,
    ),
    Tiny(
        "llama-deepseek",
        "deepseek-coder",
        "LlamaForCausalLM",
        # DeepSeek-Coder 1.3B/6.7B: Llama with linear RoPE scaling (factor 4), theta 1e5.
        _cfg(
            "LlamaConfig",
            **_LLAMA,
            num_key_value_heads=4,
            max_position_embeddings=16384,
            rope_theta=1e5,
            rope_scaling={"type": "linear", "factor": 4.0},
        ),
        (
            "<｜begin▁of▁sentence｜>",
            "<｜end▁of▁sentence｜>",
            "<｜fim▁hole｜>",
            "<｜fim▁begin｜>",
            "<｜fim▁end｜>",
            "<|EOT|>",
        ),
        {"bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>"},
        context=16384,
    ),
    Tiny(
        "qwen2",
        "qwen2.5-coder",
        "Qwen2ForCausalLM",
        _cfg(
            "Qwen2Config",
            **_LLAMA,
            num_key_value_heads=2,
            max_position_embeddings=32768,
            rope_theta=1e6,
            tie_word_embeddings=True,
        ),
        (
            "<|endoftext|>",
            "<|im_start|>",
            "<|im_end|>",
            "<|fim_prefix|>",
            "<|fim_middle|>",
            "<|fim_suffix|>",
            "<|fim_pad|>",
            "<|repo_name|>",
            "<|file_sep|>",
        ),
        {"eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>"},
        pad_to=64,
        context=32768,
    ),
    Tiny(
        "gpt_bigcode-starcoder",
        "starcoder",
        "GPTBigCodeForCausalLM",
        _cfg("GPTBigCodeConfig", **_GPT, n_positions=8192, multi_query=True),
        (
            "<|endoftext|>",
            "<fim_prefix>",
            "<fim_middle>",
            "<fim_suffix>",
            "<fim_pad>",
            "<filename>",
            "<gh_stars>",
        ),
        {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>"},
        context=8192,
    ),
    Tiny(
        "gpt2",
        "plain",
        "GPT2LMHeadModel",
        _cfg("GPT2Config", **_GPT, n_positions=1024),
        ("<|endoftext|>",),
        {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>"},
        context=1024,
    ),
    Tiny(
        "gemma-codegemma",
        "codegemma",
        "GemmaForCausalLM",
        _cfg(
            "GemmaConfig",
            **_LLAMA,
            num_key_value_heads=1,
            head_dim=16,
            max_position_embeddings=8192,
        ),
        (
            "<pad>",
            "<eos>",
            "<bos>",
            "<unk>",
            "<|fim_prefix|>",
            "<|fim_middle|>",
            "<|fim_suffix|>",
            "<|file_separator|>",
        ),
        {"bos_token": "<bos>", "eos_token": "<eos>", "unk_token": "<unk>", "pad_token": "<pad>"},
        metaspace="never",
        context=8192,
    ),
)
BY_NAME = {t.name: t for t in TINY}


def tokenizer(case: Tiny, vocab_size: int = 400) -> Tokenizer:
    """A BPE trained on CORPUS whose first ids are the family's special tokens."""
    tok = Tokenizer(models.BPE(unk_token=case.roles.get("unk_token")))
    if case.metaspace:
        tok.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme=case.metaspace)
        tok.decoder = decoders.Metaspace(prepend_scheme=case.metaspace)
        alphabet = sorted(set("".join(CORPUS).replace(" ", "▁")))
    else:
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        alphabet = pre_tokenizers.ByteLevel.alphabet()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(case.specials),
        initial_alphabet=alphabet,
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS, trainer=trainer)
    return tok


def build(case: Tiny, out: Path, seed: int = 0) -> Path:
    """Saves a random model and its tokenizer (save_pretrained) under ``out``; returns ``out``."""
    import torch
    import transformers
    from transformers import PreTrainedTokenizerFast

    tok = tokenizer(case)
    size = tok.get_vocab_size()
    vocab = -(-size // case.pad_to) * case.pad_to
    config = case.config(vocab)
    for role, token in case.roles.items():
        # Real configs carry the special tokens' ids (bos_token_id, ...); GPT-2's default 50256
        # would point outside a tiny vocabulary.
        setattr(config, role.replace("_token", "_token_id"), tok.token_to_id(token))
    torch.manual_seed(seed)
    model = getattr(transformers, case.model_class)(config).eval()
    model.save_pretrained(str(out))
    roles = set(case.roles.values())
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        **case.roles,
        additional_special_tokens=[t for t in case.specials if t not in roles],
    )
    fast.save_pretrained(str(out))
    return out


def drop_fast_tokenizer(hf_dir: Path) -> None:
    """Leaves only a slow (vocab.json + merges.txt) GPT-2 tokenizer in ``hf_dir``."""
    tok = Tokenizer.from_file(str(hf_dir / "tokenizer.json"))
    tok.model.save(str(hf_dir))
    (hf_dir / "tokenizer.json").unlink()
    cfg = json.loads((hf_dir / "tokenizer_config.json").read_text())
    cfg["tokenizer_class"] = "GPT2Tokenizer"
    (hf_dir / "tokenizer_config.json").write_text(json.dumps(cfg))
