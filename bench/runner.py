"""Runs the server's engine path on benchmark tasks and scores every candidate it returns."""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

from completion import CompletionRequest, Sample, SamplingPolicy
from completion.pipeline import postprocess
from completion.prompt import Prompt
from ranking import ConfidenceModel, RankOptions
from ranking.suggest import suggest

from .metrics import edit_similarity, same_code
from .sandbox import Sandbox
from .tasks import Scored, Task, TaskRun


class RecordingEngine:
    """Stands in for the engine and keeps the raw samples of the last request.

    The pipeline only returns post-processed candidates; the benchmark also needs the samples
    as drawn (first sample, greedy sample, syntax validity before post-processing).
    """

    def __init__(self, engine) -> None:
        self._engine = engine
        self.samples: list[Sample] = []

    def __getattr__(self, name: str):
        return getattr(self._engine, name)

    def generate(self, *args, **kwargs):
        # Passes everything through, so the recorder follows the Engine protocol as it grows.
        samples, seconds = self._engine.generate(*args, **kwargs)
        self.samples = samples
        return samples, seconds


def select(tasks: Sequence[Task], limit: int | None, seed: int) -> list[Task]:
    """A seeded random subset of ``limit`` tasks (all of them, shuffled, without a limit)."""
    order = list(tasks)
    random.Random(seed).shuffle(order)
    return order if limit is None else order[:limit]


def sampling_policy(cfg, max_new_tokens: int) -> SamplingPolicy:
    """The policy a benchmark config asks for (``max_new_tokens``: the suite's default)."""
    return SamplingPolicy(
        n=cfg.n,
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        top_k=cfg.top_k,
        include_greedy=cfg.include_greedy and cfg.n > 1,
        max_new_tokens=cfg.max_new_tokens or max_new_tokens,
        prompt_tokens=cfg.prompt_tokens,
        seed=cfg.seed,
    )


def task_seed(seed: int, task_id: str) -> int:
    """The sampling seed of one task: from the run's seed and the task's id, never its position,
    so a task draws the same samples whatever order or subset of tasks a run takes."""
    return (seed * 1_000_003 + zlib.crc32(task_id.encode("utf-8"))) % (2**31 - 1)


def raw_text(engine, prompt: Prompt, sample: Sample) -> str:
    """A sample's text as the model wrote it: up to its end token, minus the healed characters."""
    ids = list(sample.token_ids)
    for k, tid in enumerate(ids):
        if tid in engine.stop_ids:
            ids = ids[:k]
            break
    text, _ = engine.decode_pieces(prompt, tuple(ids))
    return text[len(prompt.heal_text) :] if text.startswith(prompt.heal_text) else text


def post_texts(engine, prompt: Prompt, task: Task, language: str | None) -> list[str | None]:
    """What post-processing makes of each raw sample on its own (None: dropped)."""
    out = []
    for s in engine.samples:
        cands = postprocess(engine, prompt, [s], task.text, task.offset, task.mode, language)
        out.append(cands[0].text if cands else None)
    return out


@dataclass(frozen=True)
class Runner:
    """Runs tasks through ``ranking.suggest`` exactly as the server does, then scores them.

    Args:
        engine: a loaded ``CT2Engine``.
        policy: sampling policy; each task samples with ``task_seed(policy.seed, task.id)``.
        sandbox: runs HumanEval programs; tasks without tests need none.
        model: confidence model the engine ranks with (default priors).
    """

    engine: object
    policy: SamplingPolicy
    sandbox: Sandbox | None = None
    model: ConfidenceModel | None = None

    def run(self, task: Task) -> TaskRun:
        """One request for ``task`` (sampling seed: ``task_seed``), scored."""
        from grammars import syntax_delta

        rec = RecordingEngine(self.engine)
        policy = replace(self.policy, mode=task.mode, seed=task_seed(self.policy.seed, task.id))
        request = CompletionRequest(task.text, task.offset, None, task.path, policy)
        t0 = time.perf_counter()
        outcome = suggest(rec, request, options=RankOptions(top_k=policy.n), model=self.model)
        latency = time.perf_counter() - t0
        lang, prompt = outcome.result.language, outcome.result.prompt

        def valid(text: str) -> bool:
            return lang is None or syntax_delta(task.text, task.offset, text, lang) <= 0

        scored = tuple(self._score(task, s) for s in outcome.ranking.all_scored)
        posts = post_texts(rec, prompt, task, lang)
        index_of = {c.text: i for i, c in enumerate(scored)}
        sampled = [k for k, s in enumerate(rec.samples) if not s.greedy]
        greedy = [k for k, s in enumerate(rec.samples) if s.greedy]

        def pick(ks: list[int]) -> int | None:
            text = posts[ks[0]] if ks else None
            return None if text is None else index_of.get(text)

        t = outcome.result.timings
        return TaskRun(
            task_id=task.id,
            candidates=scored,
            first=pick(sampled or greedy),
            greedy=pick(greedy),
            raw_valid=tuple(valid(raw_text(rec, prompt, s)) for s in rec.samples),
            post_valid=tuple(None if p is None else valid(p) for p in posts),
            latency=latency,
            generate_seconds=t.generate + t.entropy,
            tokens=sum(len(s.token_ids) for s in rec.samples),
            timings={f.name: getattr(t, f.name) for f in fields(t)},
        )

    def _score(self, task: Task, s) -> Scored:
        exact = same_code(s.text, task.target)
        if task.check is not None and self.sandbox is not None:
            correct = self.sandbox.run(task.filled(s.text) + task.check).passed
        else:
            correct = exact
        c = s.candidate
        return Scored(
            text=s.text,
            confidence=s.confidence,
            features=s.features,
            sample_index=c.sample_index,
            greedy=c.greedy,
            votes=c.votes,
            correct=correct,
            exact=exact,
            similarity=edit_similarity(s.text, task.target),
        )
