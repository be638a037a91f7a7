"""Turns raw samples into candidates: stop rules, healing, suffix overlap, loops, dedupe."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .types import Candidate, Mode, Sample

# A short unit repeated four or more times in a row ("b, b, b, b", ")))))") is a loop.
_LOOP = re.compile(r"(.{1,24}?)\1{3,}", re.DOTALL)


# Blocks of up to this many code lines that repeat right away ("A B A B") are loops.
MAX_LOOP_LINES = 4


def cut_repetition(
    text: str, line_prefix: str | None = None, line_above: str = ""
) -> tuple[str, bool]:
    """Cuts a repetition loop after its first unit; True when one was found.

    A block of one to four code lines repeated right away (``import sys`` again; ``A B A B``;
    blank lines between do not count) and short in-line loops are both cut. Indentation runs
    and other whitespace repeats are not loops. With ``line_prefix`` (what is typed on the
    cursor's line) blank, the first line is a whole new line and ``line_above``, the last code
    line before the cursor's, counts as the line before it: the small model's most common loop
    is re-typing the line it was shown.
    """
    lines = text.split("\n")
    fresh = line_prefix is not None and not line_prefix.strip()
    # The code lines in order, as whole lines, with the index in ``lines`` where each starts.
    seq: list[tuple[str, int]] = [(line_above, -1)] if fresh and line_above.strip() else []
    for i, line in enumerate(lines):
        whole = (line_prefix or "") + line if i == 0 else line
        if not whole.strip():
            continue
        seq.append((whole, i))
        n = len(seq)
        for k in range(1, min(MAX_LOOP_LINES, n // 2) + 1):
            if all(seq[n - 2 * k + m][0] == seq[n - k + m][0] for m in range(k)):
                return "\n".join(lines[: seq[n - k][1]]), True
    for m in _LOOP.finditer(text):
        if m.group(1).strip():
            return text[: m.start() + len(m.group(1))], True
    return text, False


def trim_suffix_overlap(text: str, suffix: str) -> str:
    """Removes the end of ``text`` that repeats what already follows the cursor.

    Two cases users hit: auto-closed brackets on the cursor's line (``foo(|)`` completed with
    ``x)`` becomes ``x``), and a multi-line completion that re-types the next lines.
    """
    rest = suffix.split("\n", 1)[0]
    if rest.strip():
        if "\n" not in text:
            for k in range(len(rest), 0, -1):
                if text.endswith(rest[:k]) and rest[:k].strip():
                    return text[: len(text) - k]
        elif text.rstrip().endswith(rest.strip()):
            return text.rstrip()[: len(text.rstrip()) - len(rest.strip())]
    following = suffix.lstrip("\n")
    if "\n" in text and following.strip():
        # Cut at the first line boundary from which the rest of the completion is the suffix.
        pos = text.find("\n")
        while pos != -1:
            tail = text[pos:].strip()
            if tail and following.lstrip().startswith(tail):
                return text[:pos]
            pos = text.find("\n", pos + 1)
    return text


def line_end(text: str, cursor_line_prefix: str) -> int:
    """Where a single-line completion ends.

    The first line break ends it, except when the cursor's line already holds code and the
    model opens with a line break: then the completion is the next line.
    """
    first = text.find("\n")
    if first != 0 or not cursor_line_prefix.strip():
        return len(text) if first == -1 else first
    second = text.find("\n", 1)
    return len(text) if second == -1 else second


def make_candidates(
    samples: Sequence[Sample],
    decode: Callable[[tuple[int, ...]], tuple[str, list[int]]],
    *,
    stop_ids: frozenset[int],
    heal_text: str,
    prefix: str,
    suffix: str,
    mode: Mode,
    block_end: Callable[[str], int | None] | None = None,
) -> list[Candidate]:
    """Post-processes samples into unique, non-empty candidates (``votes`` counts duplicates).

    Args:
        samples: raw generations with per-token statistics.
        decode: ids -> (text, start offset of each token), from the engine.
        stop_ids: end tokens (EOS / end-of-middle).
        heal_text: characters the first tokens re-produce (removed from the result).
        prefix: text before the cursor; suffix: text after it.
        mode: LINE stops at the end of the line, BLOCK at the end of the current block.
        block_end: for BLOCK mode, returns where the current block ends in a completion.
    """
    line_prefix = prefix.rsplit("\n", 1)[-1]
    # The last code line above the cursor's (its last few thousand characters are enough).
    above = prefix[max(0, len(prefix) - len(line_prefix) - 4000) : len(prefix) - len(line_prefix)]
    line_above = next((ln for ln in reversed(above.split("\n")) if ln.strip()), "")
    next_line_has_code = bool(suffix.split("\n", 1)[0].strip())
    out: dict[str, Candidate] = {}
    votes: dict[str, int] = {}
    for index, s in enumerate(samples):
        ids, emitted = list(s.token_ids), False
        for k, tid in enumerate(ids):
            if tid in stop_ids:
                ids, emitted = ids[:k], True
                break
        text, starts = decode(tuple(ids))
        if not text.startswith(heal_text):
            continue  # healing failed: this sample does not continue what the user typed
        text = text[len(heal_text) :]
        starts = [max(0, st - len(heal_text)) for st in starts]
        ended = emitted
        cut = line_end(text, line_prefix) if mode is Mode.LINE else None
        if mode is Mode.BLOCK and block_end is not None:
            cut = block_end(text)
        if cut is not None and cut < len(text):
            text, ended = text[:cut], True
        text, looped = cut_repetition(text, line_prefix, line_above)
        if looped:
            ended = False
        text = (
            trim_suffix_overlap(text, suffix).rstrip(" \t")
            if "\n" in text
            else trim_suffix_overlap(text, suffix)
        )
        if mode is Mode.LINE:
            text = text.rstrip("\n")
            if not line_prefix and next_line_has_code and text.strip():
                # The cursor is at column 0 in front of code: the completion is a whole new
                # line, and the code after the cursor must stay on a line of its own.
                text += "\n"
        if not text.strip():
            continue
        keep = max(1, sum(1 for st in starts if st < len(text)))
        cand = Candidate(
            text=text,
            logprobs=s.logprobs[:keep],
            entropies=s.entropies[:keep],
            token_starts=tuple(starts[:keep]),
            ended=ended,
            emitted_eot=emitted,
            greedy=s.greedy,
            sample_index=index,
        )
        votes[text] = votes.get(text, 0) + 1
        best = out.get(text)
        if best is None or _mean(cand.logprobs) > _mean(best.logprobs):
            out[text] = cand
    return [_with_votes(c, votes[c.text]) for c in out.values()]


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs) if xs else float("-inf")


def _with_votes(c: Candidate, n: int) -> Candidate:
    from dataclasses import replace

    return replace(c, votes=n, greedy=c.greedy)
