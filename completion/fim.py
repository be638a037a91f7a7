"""Fill-in-the-middle templates by model family, detected from the tokenizer's special tokens."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

# How prompts are built: "fim" (prefix, suffix, middle: every family's standard order), "spm"
# (suffix, prefix, middle: StarCoder's SPM variant, for models trained with it), "prefix" (the
# text before the cursor only), or "auto" (the model's own entropy-complete.json choice).
PROMPT_FORMATS: tuple[str, ...] = ("auto", "fim", "spm", "prefix")


@dataclass(frozen=True, slots=True)
class FimTemplate:
    """How one model family spells a fill-in-the-middle prompt.

    ``order`` is "psm" (prefix, suffix, middle) for every family here, or "spm" (see
    ``for_format``); ``stop`` lists the tokens that end a middle (end-of-text, the family's
    end-of-middle / file-separator tokens).
    """

    family: str
    prefix: str
    suffix: str
    middle: str
    stop: tuple[str, ...]
    bos: str | None = None  # token to put first (e.g. CodeLlama's <s>)
    # Templates with a space between marker and text (CodeLlama's "<PRE> {prefix} <SUF>{suffix}").
    prefix_sep: str = ""
    order: str = "psm"

    def render(self, prefix: str, suffix: str) -> str:
        """The prompt text (special tokens inline): the model continues with the middle."""
        head = self.bos or ""
        if self.order == "spm":
            return f"{head}{self.prefix}{self.suffix}{suffix}{self.middle}{prefix}"
        return f"{head}{self.prefix}{self.prefix_sep}{prefix}{self.suffix}{suffix}{self.middle}"


def family_label(template: FimTemplate | None, used: FimTemplate | None) -> str:
    """The model family as reports show it, with the prompt layout when it is not the usual."""
    if template is None:
        return "plain"
    if used is None:
        return f"{template.family} (prefix-only prompts)"
    return template.family + (" (suffix-first prompts)" if used.order == "spm" else "")


def format_of(used: FimTemplate | None) -> str:
    """The resolved prompt format ("fim", "spm" or "prefix") a prompt template stands for."""
    if used is None:
        return "prefix"
    return "spm" if used.order == "spm" else "fim"


def ends_with_prefix(used: FimTemplate | None) -> bool:
    """Whether prompts end with the text before the cursor (prefix-only and suffix-first ones):
    then what the model should use goes right above the cursor's line, where it reads last."""
    return used is None or used.order == "spm"


def for_format(template: FimTemplate | None, fmt: str) -> FimTemplate | None:
    """The template prompts use for a resolved prompt format ("fim", "spm" or "prefix").

    "spm" puts the text after the cursor first: ``<fim_prefix><fim_suffix>{suffix}<fim_middle>
    {prefix}`` and the model continues with the middle (the SPM variant of Bavarian et al.,
    2022, as StarCoder trained it). Its prompt ends with the text before the cursor, so the
    part that stays the same while the user types is the whole prompt up to the cursor's line.
    None means prefix-only prompts (also for a FIM format when the tokenizer has no FIM tokens).

    Raises:
        ValueError: an unknown format.
    """
    if fmt not in PROMPT_FORMATS or fmt == "auto":
        raise ValueError(f"prompt format must be one of {', '.join(PROMPT_FORMATS)}, not {fmt!r}")
    if fmt == "prefix" or template is None:
        return None
    return replace(template, order="spm") if fmt == "spm" else template


# One row per family, checked in order: the first whose three markers are all in the vocabulary
# wins. Qwen's markers contain StarCoder's as substrings only in text, not as tokens, so order
# matters only between families sharing tokens.
FIM_TABLE: tuple[FimTemplate, ...] = (
    FimTemplate(
        "qwen2.5-coder",
        "<|fim_prefix|>",
        "<|fim_suffix|>",
        "<|fim_middle|>",
        stop=("<|endoftext|>", "<|fim_pad|>", "<|file_sep|>", "<|im_end|>", "<|repo_name|>"),
    ),
    FimTemplate(
        "starcoder",
        "<fim_prefix>",
        "<fim_suffix>",
        "<fim_middle>",
        stop=("<|endoftext|>", "<fim_pad>", "<file_sep>", "<filename>"),
    ),
    FimTemplate(
        "deepseek-coder",
        "<｜fim▁begin｜>",
        "<｜fim▁hole｜>",
        "<｜fim▁end｜>",
        stop=("<｜end▁of▁sentence｜>", "<|EOT|>", "<｜fim▁begin｜>"),
        bos="<｜begin▁of▁sentence｜>",
    ),
    FimTemplate(
        "codegemma",
        "<|fim_prefix|>",
        "<|fim_suffix|>",
        "<|fim_middle|>",
        stop=("<|file_separator|>", "<eos>", "<|fim_prefix|>"),
        bos="<bos>",
    ),
    FimTemplate(
        "codellama",
        "▁<PRE>",
        "▁<SUF>",
        "▁<MID>",
        stop=("▁<EOT>", "</s>"),
        bos="<s>",
        prefix_sep=" ",
    ),
)

# End-of-text tokens for prefix-only models, by the spellings tokenizers use.
PLAIN_STOPS: tuple[str, ...] = (
    "<|endoftext|>",
    "</s>",
    "<eos>",
    "<｜end▁of▁sentence｜>",
    "<|im_end|>",
)

# CodeGemma and Qwen share marker spellings; CodeGemma is told apart by its file separator.
_DISTINGUISH = {"codegemma": "<|file_separator|>", "qwen2.5-coder": "<|fim_pad|>"}


def detect(vocab: Collection[str]) -> FimTemplate | None:
    """Returns the FIM template whose markers are all tokens of ``vocab``, or None.

    Args:
        vocab: the tokenizer's token strings (``Tokenizer.get_vocab()`` keys).

    Returns:
        The family's template; None means the model has no FIM and gets prefix-only prompts.
    """
    for tpl in FIM_TABLE:
        markers = (tpl.prefix, tpl.suffix, tpl.middle)
        if not all(m in vocab for m in markers):
            # CodeLlama's markers are "<PRE>" in some tokenizer.json files, "▁<PRE>" in others.
            bare = tuple(m.lstrip("▁") for m in markers)
            if not all(m in vocab for m in bare):
                continue
            tpl = replace(
                tpl,
                prefix=bare[0],
                suffix=bare[1],
                middle=bare[2],
                stop=tuple(s.lstrip("▁") for s in tpl.stop),
            )
        key = _DISTINGUISH.get(tpl.family)
        if key is not None and key not in vocab:
            continue
        return tpl
    return None


def stop_tokens(vocab: Collection[str], template: FimTemplate | None) -> tuple[str, ...]:
    """The end tokens present in ``vocab`` for this template (or the plain EOS spellings)."""
    wanted = (template.stop if template else ()) + PLAIN_STOPS
    return tuple(dict.fromkeys(t for t in wanted if t in vocab))
