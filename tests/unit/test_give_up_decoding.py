"""Giving up early, while decoding: the running sum counts only what post-processing surely
keeps (checked against the real ``make_candidates`` on random token streams), and the step
callback stops a call once every candidate is below the bound."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from completion.decoding import step_callback
from completion.give_up import GiveUp, KeptSum
from completion.postprocess import make_candidates
from completion.types import Mode, Sample

STOP, NEWLINE = 0, 1
# Short pieces that make loops, brackets and whitespace likely.
PIECES = ["", "\n", "a", "b", "ab", " ", "(", ")", ", ", "x1", "==", "  ", "foo", ")\n"]


HEAD = 99  # the token healing chose: it re-types what the prompt backed off, maybe more


def decoder(head: str):
    def decode(ids: tuple[int, ...]) -> tuple[str, list[int]]:
        starts, text = [], ""
        for i in ids:
            starts.append(len(text))
            text += head if i == HEAD else PIECES[i]
        return text, starts

    return decode


def stream(rng: random.Random) -> list[int]:
    """Up to 30 tokens of one line, then maybe a newline or the end token."""
    body = [rng.randrange(2, len(PIECES) - 1) for _ in range(rng.randint(1, 30))]
    if rng.random() < 0.3:  # a loop: a short unit again and again
        unit = body[-rng.randint(1, 3) :]
        body += unit * rng.randint(2, 6)
    return body + rng.choice([[], [NEWLINE], [STOP], [len(PIECES) - 1]])


# (what healing re-typed, the healed token's text): nothing healed, a name finished, and a
# token that already starts a loop.
HEALS = [("", ""), ("fo", "foo"), ("(", "((")]


@pytest.mark.parametrize("heal", HEALS, ids=["no heal", "name", "loop"])
@pytest.mark.parametrize("line", ["x = ", "", "f(", "    return "])
@pytest.mark.parametrize("after", ["", ")", ", b)", "  "])
def test_the_running_sum_is_never_below_what_post_processing_keeps(
    line: str, after: str, heal: tuple[str, str]
) -> None:
    rng = random.Random(f"{line}|{after}|{heal}")
    heal_text, head = heal
    for _ in range(250):
        ids = stream(rng)
        lps = [-rng.expovariate(2.0) for _ in ids]
        kept, running = KeptSum(-0.25, after, head[len(heal_text) :]), []
        for tid, lp in zip(ids, lps):
            if tid in (STOP, NEWLINE) or "\n" in PIECES[tid]:
                break  # the callback ends the hypothesis here, adding nothing more
            kept.add(PIECES[tid], lp)
            running.append(kept.value())
        candidates = make_candidates(
            [Sample((HEAD, *ids), (-0.25, *lps), (0.0,) * (len(ids) + 1))],
            decoder(head),
            stop_ids=frozenset({STOP}),
            heal_text=heal_text,
            prefix=f"def g():\n{line}{heal_text}",
            suffix=f"{after}\nnext = 1\n",
            mode=Mode.LINE,
        )
        for c in candidates:
            final = sum(c.logprobs)
            assert all(final <= r + 1e-9 for r in running), (ids, c.text, final, running)


def test_a_loop_counts_only_its_first_unit() -> None:
    kept = KeptSum()
    for piece in ["x", "=", "ab", "ab", "ab"]:
        kept.add(piece, -1.0)
    # "ab" repeats: the repeated tokens may be cut, only x, = and the first "ab" count.
    assert kept.value() == -3.0
    kept.add("ab", -1.0)  # four units: a loop, cut after its first unit for good
    kept.add("c", -1.0)
    assert kept.value() == -3.0
    # Indentation repeats a space, but whitespace is no loop.
    indent = KeptSum()
    for piece in ["    ", "    ", "  ", "x"]:
        indent.add(piece, -1.0)
    assert indent.value() == -4.0
    # The code after the cursor may be trimmed from the end, and trailing whitespace.
    tail = KeptSum(rest=", b)")
    for piece in ["x", ",", " "]:
        tail.add(piece, -1.0)
    assert tail.value() == -1.0
    tail.add("c", -1.0)  # the end is no longer the start of ", b)"
    assert tail.value() == -4.0
    unknown = KeptSum()
    unknown.add("x", None)
    assert unknown.value() == float("inf")


def steps(*tokens: tuple[int, int, float | None]) -> list[SimpleNamespace]:
    """(hypothesis, token id, log-prob) per step, two hypotheses taking turns."""
    return [
        SimpleNamespace(hypothesis_id=h, token_id=t, log_prob=lp, step=i // 2)
        for i, (h, t, lp) in enumerate(tokens)
    ]


A, B, C, D = 2, 3, 6, 9  # "a", "b", "(", "x1": no loop between them


def run(tokens: list[SimpleNamespace], bound: float | None, start: float = 0.0):
    gave_up: list[int] = []
    on_step = step_callback(
        2, frozenset({STOP}), frozenset({NEWLINE}), started_all=False, stop_at_newline=True,
        cancel=None, first=[], give_up=None if bound is None else GiveUp(bound),
        start_sum=start, gave_up=gave_up, pieces=PIECES,
    )  # fmt: skip
    return [on_step(s) for s in tokens], gave_up


def test_the_call_stops_once_every_candidate_is_below_the_bound() -> None:
    tokens = steps((0, A, -1.5), (1, B, -0.5), (0, C, -1.0), (1, D, -2.0))
    stopped, gave_up = run(tokens, -2.0)
    assert stopped == [False, False, False, True] and gave_up == [2]
    # Healing's tokens count from the start: the same call gives up a step earlier.
    stopped, gave_up = run(tokens, -2.0, start=-1.6)
    assert stopped[:2] == [False, True] and gave_up == [1]
    assert run(tokens, None) == ([False] * 4, [])


def test_a_finished_candidate_above_the_bound_keeps_the_call_going() -> None:
    # Hypothesis 1 ends its line at -0.5: it could be shown, so the call never gives up,
    # and what it decodes after its end does not count.
    tokens = steps(
        (0, A, -1.5), (1, B, -0.5), (0, C, -1.0), (1, NEWLINE, -9.0), (0, D, -3.0), (1, A, -9.0),
    )  # fmt: skip
    assert run(tokens, -2.0) == ([False] * 6, [])


def test_end_tokens_newlines_and_unknown_log_probs_never_count() -> None:
    # The end token's and a newline's log-prob are not part of the text shown.
    tokens = steps((0, STOP, -9.0), (1, NEWLINE, -9.0), (0, A, -9.0), (1, B, -0.1))
    assert run(tokens, -2.0) == ([False] * 4, [])
    # A step without a log-prob (a greedy call without scores) turns giving up off.
    tokens = steps((0, A, None), (1, B, -5.0), (0, C, -5.0), (1, D, -5.0))
    assert run(tokens, -2.0)[1] == []
