"""Stop rules, healing removal, suffix-overlap trimming, repetition loops and dedupe."""

from __future__ import annotations

from completion.postprocess import cut_repetition, line_end, make_candidates, trim_suffix_overlap
from completion.types import Mode, Sample

EOT = 0


def fake_decode(vocab: dict[int, str]):
    """Decodes ids from a fixed table; a real tokenizer is exercised in the model tests."""

    def decode(ids: tuple[int, ...]) -> tuple[str, list[int]]:
        starts, text = [], ""
        for i in ids:
            starts.append(len(text))
            text += vocab[i]
        return text, starts

    return decode


VOCAB = {
    1: "foo",
    2: "(",
    3: "x",
    4: ")",
    5: "\n",
    6: "    return",
    7: " x",
    8: " o",
    9: "s",
    10: " os",
    11: "import",
    12: " sys",
    13: "b",
    14: ", ",
}


def sample(ids, greedy=False) -> Sample:
    return Sample(
        tuple(ids), tuple(-0.1 * (k + 1) for k in range(len(ids))), tuple(0.5 for _ in ids), greedy
    )


def run(samples, prefix="", suffix="", heal="", mode=Mode.LINE):
    return make_candidates(
        samples,
        fake_decode(VOCAB),
        stop_ids=frozenset({EOT}),
        heal_text=heal,
        prefix=prefix,
        suffix=suffix,
        mode=mode,
    )


def test_stops_at_end_token_and_marks_it() -> None:
    (c,) = run([sample([1, 2, 3, 4, EOT, 1, 1])], prefix="y = ")
    assert c.text == "foo(x)" and c.emitted_eot and c.ended
    assert len(c.logprobs) == 4


def test_line_mode_stops_at_end_of_line() -> None:
    (c,) = run([sample([1, 2, 3, 4, 5, 6, 7])], prefix="y = ")
    assert c.text == "foo(x)" and c.ended and not c.emitted_eot


def test_line_mode_completes_next_line_after_a_finished_line() -> None:
    (c,) = run([sample([5, 6, 7, 5, 1])], prefix="def f(x):")
    assert c.text == "\n    return x"


def test_block_mode_uses_block_end() -> None:
    cands = make_candidates(
        [sample([6, 7, 5, 1, 2, 4])],
        fake_decode(VOCAB),
        stop_ids=frozenset(),
        heal_text="",
        prefix="def f(x):\n",
        suffix="",
        mode=Mode.BLOCK,
        block_end=lambda t: t.index("\n"),
    )
    assert cands[0].text == "    return x"


def test_healed_characters_are_removed_and_others_dropped() -> None:
    cands = run([sample([10, EOT]), sample([12, EOT])], prefix="import o", heal=" o")
    assert [c.text for c in cands] == ["s"]


def test_auto_closed_bracket_is_trimmed() -> None:
    (c,) = run([sample([3, 4, EOT])], prefix="print(", suffix=")\nnext()")
    assert c.text == "x"
    assert trim_suffix_overlap('"hi"))', "))") == '"hi"'


def test_completion_repeating_the_next_lines_is_cut() -> None:
    text = "a = 1\nb = 2\nc = 3"
    assert trim_suffix_overlap(text, "\nb = 2\nc = 3\nd = 4\n") == "a = 1"


def test_repetition_loops_are_cut() -> None:
    assert cut_repetition("import sys\nimport sys\nimport sys") == ("import sys", True)
    assert cut_repetition("f(b, b, b, b, b, b") == ("f(b, ", True)
    assert cut_repetition("return x + 1") == ("return x + 1", False)
    assert cut_repetition("        pass")[1] is False
    # Across blank lines: the same import again after an empty line is the same loop.
    text = "from a import b\n\nfrom a import b\n\nfrom a import b"
    assert cut_repetition(text) == ("from a import b\n", True)


def test_a_new_line_that_retypes_the_line_above_is_a_loop() -> None:
    # The cursor at the start of a line (nothing typed, or only its indentation): the first
    # line is a whole line, checked against the last code line above the cursor's.
    assert cut_repetition("import sys\nimport re", "", "import sys") == ("", True)
    assert cut_repetition("x = 1", "    ", "    x = 1") == ("", True)
    assert cut_repetition("import re\nimport sys", "", "import sys") == (
        "import re\nimport sys",
        False,
    )
    assert cut_repetition("    return b", "", "    return a")[1] is False
    # Mid-line, the first line continues what is typed: only the whole line can repeat.
    assert cut_repetition("sys\nimport sys", "import ", "import sys") == ("sys", True)
    assert cut_repetition("os\nimport sys", "import ", "import sys")[1] is False


def test_make_candidates_drops_a_retyped_line_above() -> None:
    """``import sys`` offered under ``import sys`` is dropped; the other sample stays."""

    texts = {1: "import sys", 2: "import re", 9: "\n"}
    samples = [
        Sample(token_ids=(1, 9, 2), logprobs=(-0.1,) * 3, entropies=(0.5,) * 3),
        Sample(token_ids=(2,), logprobs=(-0.2,), entropies=(0.5,)),
    ]

    def decode(ids):
        out, starts = "", []
        for i in ids:
            starts.append(len(out))
            out += texts[i]
        return out, starts

    cands = make_candidates(
        samples,
        decode,
        stop_ids=frozenset(),
        heal_text="",
        prefix="import os\nimport sys\n",
        suffix="",
        mode=Mode.BLOCK,
    )
    assert [c.text for c in cands] == ["import re"]


def test_empty_and_duplicate_candidates_are_merged_with_votes() -> None:
    cands = run(
        [sample([1, EOT]), sample([1, EOT], greedy=True), sample([5]), sample([3, EOT])],
        prefix="y = ",
    )
    texts = {c.text: c.votes for c in cands}
    assert texts == {"foo": 2, "x": 1}


def test_line_end_rules() -> None:
    assert line_end("abc\ndef", "x = ") == 3
    assert line_end("\n    y\nz", "if a:") == 6
    assert line_end("\nfoo", "") == 0


def test_a_whole_line_in_front_of_code_keeps_its_newline() -> None:
    # Cursor at column 0 with code after it (OpenAI's single-line holes): the completion is a
    # new line, so the code after the cursor must not be glued onto it.
    (c,) = run([sample([1, 2, 3, 4, 5, 6, 7])], prefix="def f(x):\n", suffix="    return y\n")
    assert c.text == "foo(x)\n"
    # On an empty line, or mid-line, nothing is added.
    (c,) = run([sample([1, 2, 3, 4, 5, 6, 7])], prefix="def f(x):\n", suffix="\n    return y")
    assert c.text == "foo(x)"
    (c,) = run([sample([1, 2, 3, 4, 5, 6, 7])], prefix="y = ", suffix=" + 1\n")
    assert c.text == "foo(x)"
