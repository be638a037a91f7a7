"""Benchmark records: a task (a document with a hole), and what one run of the engine produced."""

from __future__ import annotations

from dataclasses import dataclass

from completion import Mode
from ranking import Features


@dataclass(frozen=True, slots=True)
class Task:
    """One completion to make: ``text`` is the document with ``target`` cut out at ``offset``.

    ``check`` is the code appended after the filled-in document to test it (HumanEval's
    ``check(entry_point)``); tasks without it are scored by exact match only.
    """

    id: str
    text: str
    offset: int
    target: str
    path: str  # a file name with the right extension: it picks the language
    mode: Mode = Mode.LINE
    check: str | None = None

    def filled(self, inserted: str) -> str:
        """The document with ``inserted`` at the cursor."""
        return self.text[: self.offset] + inserted + self.text[self.offset :]


@dataclass(frozen=True, slots=True)
class Scored:
    """One unique candidate of one task, with what every ranker and metric needs."""

    text: str
    confidence: float  # from the engine's confidence model (default priors unless --confidence)
    features: Features
    sample_index: int
    greedy: bool
    votes: int
    correct: bool  # tests pass (HumanEval) or exact match (lines)
    exact: bool
    similarity: float  # edit similarity to the target, in [0, 1]

    @property
    def n_lines(self) -> int:
        return self.text.count("\n") + 1


@dataclass(frozen=True, slots=True)
class TaskRun:
    """Everything one request produced for one task; ``candidates`` are in the engine's order.

    ``first`` and ``greedy`` index the candidates that the first sampled sample and the greedy
    sample became after post-processing (None when post-processing dropped it).
    ``raw_valid``/``post_valid`` hold, per raw sample, whether inserting its text adds no parse
    errors before and after post-processing (``post_valid`` is None for a dropped sample).
    """

    task_id: str
    candidates: tuple[Scored, ...]
    first: int | None
    greedy: int | None
    raw_valid: tuple[bool, ...]
    post_valid: tuple[bool | None, ...]
    latency: float  # wall seconds of the whole request (prompt, generate, post-process, rank)
    generate_seconds: float  # decoding plus per-token entropy
    tokens: int  # tokens generated over all samples
    timings: dict[str, float]
