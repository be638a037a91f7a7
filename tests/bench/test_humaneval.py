"""HumanEval infilling tasks: the counts of OpenAI's sets, and holes that fill back exactly."""

from __future__ import annotations

import pytest

from bench.humaneval import humaneval_tasks, load_problems, mask, spans
from bench.sandbox import Sandbox
from completion import Mode


@pytest.fixture(scope="module")
def problems() -> dict[str, dict]:
    return {p["task_id"]: p for p in load_problems()}


@pytest.fixture(scope="module")
def single() -> list:
    return humaneval_tasks("single")


@pytest.fixture(scope="module")
def multi() -> list:
    return humaneval_tasks("multi")


def test_counts_match_openai_infilling(problems, single, multi) -> None:
    assert len(problems) == 164
    assert len(single) == 1033  # HumanEval-SingleLineInfilling
    assert len(multi) == 5815  # HumanEval-MultiLineInfilling
    assert len({t.id for t in single}) == 1033 and len({t.id for t in multi}) == 5815
    assert all(t.mode is Mode.LINE for t in single) and all(t.mode is Mode.BLOCK for t in multi)


@pytest.mark.parametrize("placement", ["official", "editor"])
def test_filling_the_hole_gives_back_the_solution(problems, placement) -> None:
    single = humaneval_tasks("single", placement)
    multi = humaneval_tasks("multi", placement)
    for t in single + multi:
        p = problems["HumanEval/" + t.id.split("/")[2]]
        assert t.filled(t.target) == p["prompt"] + p["canonical_solution"], t.id
        assert t.target.strip()
    if placement == "official":
        # OpenAI's hole is the line and its newline: the cursor sits at column 0 of the
        # next line's code (or at the end of the solution).
        assert all(t.target.endswith("\n") and t.target.count("\n") == 1 for t in single)
        assert all(t.offset == 0 or t.text[t.offset - 1] == "\n" for t in single)
    else:
        # An editor's cursor on the empty line the masked line left behind.
        assert all("\n" not in t.target and t.text[t.offset] == "\n" for t in single)


def test_masking_by_hand() -> None:
    problem = {
        "task_id": "HumanEval/999",
        "prompt": "def f(x):\n",
        "canonical_solution": "    y = x\n\n    return y\n",
        "entry_point": "f",
        "test": "def check(c):\n    assert c(1) == 1\n",
    }
    assert list(spans(problem["canonical_solution"], "single")) == [(0, 0), (2, 2)]
    assert list(spans(problem["canonical_solution"], "multi")) == [(0, 0), (0, 2), (2, 2)]
    t = mask(problem, 2, 2, "single", "editor")
    assert t.id == "SingleLine/HumanEval/999/L2"
    assert t.text[: t.offset] == "def f(x):\n    y = x\n\n"
    assert t.text[t.offset :] == "\n"
    assert t.target == "    return y"
    o = mask(problem, 0, 0, "single")
    assert o.text[: o.offset] == "def f(x):\n" and o.text[o.offset :] == "\n    return y\n"
    assert o.target == "    y = x\n"
    m = mask(problem, 0, 2, "multi", "editor")
    assert m.target == "    y = x\n\n    return y" and m.text == "def f(x):\n\n"
    m = mask(problem, 0, 2, "multi")
    assert m.target == "    y = x\n\n    return y\n" and m.text == "def f(x):\n"


def test_canonical_lines_pass_their_tests_in_the_sandbox(single) -> None:
    """The harness itself: the masked line put back passes, a wrong line fails."""
    sandbox = Sandbox(timeout=5)
    for t in single[:: len(single) // 4][:4]:
        assert sandbox.run(t.filled(t.target) + t.check).passed, t.id
    t = single[0]
    wrong = sandbox.run(t.filled(" " * 4 + "return None") + t.check)
    assert wrong.status == "failed"
