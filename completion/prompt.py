"""Builds the model prompt: prefix/suffix windows in a token budget, FIM template, token healing."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from tokenizers import Tokenizer

from .fim import FimTemplate


@dataclass(frozen=True, slots=True)
class Prompt:
    """Token ids ready for the generator, plus what post-processing needs to know."""

    ids: tuple[int, ...]
    heal_text: str  # characters cut from the prefix end that the completion must re-produce
    heal_ids: tuple[int, ...]  # ids allowed as the first generated token (see TokenText.healing)
    prefix: str  # the prefix window (full, before healing)
    suffix: str  # the suffix window
    fim: bool


class TokenText:
    """Decoded text of every vocabulary entry, sorted, to find the tokens that start with a string."""

    def __init__(self, tok: Tokenizer) -> None:
        size = tok.get_vocab_size()
        special = {t.content for t in tok.get_added_tokens_decoder().values() if t.special}
        texts = tok.decode_batch([[i] for i in range(size)], skip_special_tokens=False)
        self.text: list[str] = texts
        self.special_ids = {i for i, t in enumerate(texts) if t in special}
        pairs = sorted((t, i) for i, t in enumerate(texts) if t and i not in self.special_ids)
        self._keys = [t for t, _ in pairs]
        self._ids = [i for _, i in pairs]
        self._by_text: dict[str, list[int]] = {}
        for t, i in pairs:
            self._by_text.setdefault(t, []).append(i)

    def starting_with(self, head: str) -> list[int]:
        """Ids of the tokens whose text starts with ``head`` (``head`` itself included)."""
        lo = bisect.bisect_left(self._keys, head)
        out = []
        for k in range(lo, len(self._keys)):
            if not self._keys[k].startswith(head):
                break
            out.append(self._ids[k])
        return out

    def healing(self, rest: str) -> list[int]:
        """Tokens that may come next while ``rest`` is still to be re-typed.

        Either a token that covers all of ``rest`` (and maybe more: `` o`` -> `` os``) or one
        that is a proper prefix of it: after backing off four spaces of indentation, the
        trained tokenization is three spaces + `` return``, not a four-space token.
        """
        ids = self.starting_with(rest)
        if rest.strip(" \t") == "":
            # The user typed this indentation: do not let the model indent further.
            ids = [i for i in ids if not self.text[i][len(rest) :][:1].isspace()]
        for k in range(1, len(rest)):
            ids.extend(self._by_text.get(rest[:k], ()))
        return ids

    def is_ambiguous(self, token_id: int) -> bool:
        """True when a longer token starts with this one: the cursor may sit mid-token."""
        t = self.text[token_id]
        if not t or token_id in self.special_ids or set(t) <= {"\n", "\r"}:
            return False
        return len(self.starting_with(t)) > 1


def _encode(tok: Tokenizer, text: str) -> list[int]:
    return tok.encode(text, add_special_tokens=False).ids if text else []


def prefix_window(tok: Tokenizer, prefix: str, budget: int, snap: int = 0) -> str:
    """The longest tail of ``prefix`` that starts at a line start and fits in ``budget`` tokens.

    The line the cursor is on is always kept whole (cut from its left only if it alone is
    over budget), so the model sees where the cursor is. With ``snap`` > 0 a cut window starts
    at the first line start at or after a multiple of ``snap`` characters: it then stays put
    while the user types, so the tokens before the cursor's line stay the same from one request
    to the next and their model state can be reused (a window up to ``snap`` characters shorter
    is the price).
    """
    head, sep, current = prefix.rpartition("\n")
    tail = prefix[-budget * 8 :] if len(prefix) > budget * 8 else prefix
    if not sep:
        return _fit_left(tok, prefix, budget)
    cur_tokens = len(_encode(tok, current))
    if cur_tokens >= budget:
        return _fit_left(tok, current, budget)
    lines = tail[: len(tail) - len(current)].splitlines(keepends=True)
    if len(tail) < len(prefix) and lines:
        lines = lines[1:]  # the first line of a character window is partial
    counts = (
        [len(e.ids) for e in tok.encode_batch(lines, add_special_tokens=False)] if lines else []
    )
    used, start = cur_tokens, len(lines)
    while start > 0 and used + counts[start - 1] <= budget:
        start -= 1
        used += counts[start]
    snap = min(snap, budget // 2)  # a small window loses at most ~1/8 of itself to the grid
    if snap > 0 and (start > 0 or len(tail) < len(prefix)):
        pos = len(prefix) - len(current) - sum(len(ln) for ln in lines[start:])
        grid = -(-pos // snap) * snap
        while start < len(lines) and pos < grid:
            pos += len(lines[start])
            start += 1
    return "".join(lines[start:]) + current


def _fit_left(tok: Tokenizer, text: str, budget: int) -> str:
    ids = _encode(tok, text)
    return text if len(ids) <= budget else tok.decode(ids[-budget:])


def suffix_window(tok: Tokenizer, suffix: str, budget: int) -> str:
    """The longest head of ``suffix`` that ends at a line end and fits in ``budget`` tokens."""
    if budget <= 0 or not suffix:
        return ""
    head = suffix[: budget * 8]
    lines = head.splitlines(keepends=True)
    if len(head) < len(suffix) and len(lines) > 1:
        lines = lines[:-1]
    counts = [len(e.ids) for e in tok.encode_batch(lines, add_special_tokens=False)]
    used, end = 0, 0
    while end < len(lines) and used + counts[end] <= budget:
        used += counts[end]
        end += 1
    return "".join(lines[:end])


def build(
    tok: Tokenizer,
    vocab_text: TokenText,
    template: FimTemplate | None,
    text: str,
    offset: int,
    budget: int,
    *,
    context: str = "",
    hint: str = "",
    suffix_share: float = 0.25,
    heal: bool = True,
    snap: int = 0,
) -> Prompt:
    """Builds the prompt ids for completing ``text`` at ``offset``.

    Args:
        tok: the model's tokenizer.
        vocab_text: decoded vocabulary (for token healing).
        template: the FIM template (its ``order`` says psm or spm), or None for a prefix-only
            prompt.
        text: the whole document.
        offset: the cursor, a str index into ``text``.
        budget: tokens available for the prompt (context minus generation room).
        context: extra text (snippets of other files, as comments) placed before the prefix.
        hint: comment lines placed right above the cursor's line, indented like it.
        suffix_share: the part of the budget the suffix may use (FIM only).
        heal: back the prompt off to a token boundary and constrain the first token.
        snap: align a cut prefix window's start (see ``prefix_window``).

    Returns:
        The prompt; ``heal_text`` is what the first generated tokens must reproduce.
    """
    prefix_all, suffix_all = text[:offset], text[offset:]
    suffix = ""
    if template is not None:
        suffix = suffix_window(tok, suffix_all, int(budget * suffix_share))
    ctx_ids = _encode(tok, context)[-budget // 3 :] if context else []
    left = budget - len(_encode(tok, suffix)) - len(ctx_ids) - 6
    if hint:
        # Whole lines, the last ones (nearest the cursor: the best) kept within a third.
        current = prefix_all.rpartition("\n")[2]
        indent = current[: len(current) - len(current.lstrip(" \t"))]
        lines = [indent + line + "\n" for line in hint.splitlines()]
        counts = [len(e.ids) for e in tok.encode_batch(lines, add_special_tokens=False)]
        while lines and sum(counts) > budget // 3:
            lines.pop(0)
            counts.pop(0)
        hint = "".join(lines)
        left -= sum(counts)
    prefix = prefix_window(tok, prefix_all, max(16, left), snap)
    if hint:
        head, sep, current = prefix.rpartition("\n")
        prefix = head + sep + hint + current
    body = (template.prefix_sep if template and template.order == "psm" else "") + prefix
    prefix_ids = ctx_ids + _encode(tok, body)

    heal_text = ""
    heal_ids: tuple[int, ...] = ()
    if heal and prefix_ids and vocab_text.is_ambiguous(prefix_ids[-1]):
        heal_text = vocab_text.text[prefix_ids[-1]]
        if prefix.endswith(heal_text):
            heal_ids = tuple(vocab_text.healing(heal_text))
            prefix_ids = prefix_ids[:-1]
        else:
            heal_text = ""
    if template is None:
        # Prefix-only models get the BOS their tokenizer's post-processor would add (Llama's <s>).
        ids = tok.encode("", add_special_tokens=True).ids + prefix_ids
        bos = None
    else:

        def special(t: str) -> int:
            i = tok.token_to_id(t)
            if i is None:
                raise KeyError(t)
            return i

        bos = tok.token_to_id(template.bos) if template.bos else None
        pre_id, suf_id, mid_id = (
            special(t) for t in (template.prefix, template.suffix, template.middle)
        )
        suffix_ids = _encode(tok, suffix)
        if template.order == "spm":
            # Suffix first: the prompt ends with the prefix, where the middle continues it.
            ids = [pre_id, suf_id, *suffix_ids, mid_id, *prefix_ids]
        else:
            ids = [pre_id, *prefix_ids, suf_id, *suffix_ids, mid_id]
    if bos is not None:
        ids = [bos, *ids]
    if not ids:
        ids = [0]
    return Prompt(tuple(ids), heal_text, heal_ids, prefix, suffix, template is not None)
