"""Giving up early on the shipped model: automatic requests that abstain stop decoding sooner,
and no request's answer changes (same seeds, a repeatable engine)."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import numpy as np

import ranking
from completion import CompletionRequest, CT2Engine, Mode, SamplingPolicy
from completion.backend import token_stats
from completion.give_up import GiveUp
from completion.pipeline import build_prompt
from ranking import RankOptions
from ranking.suggest import suggest

AUTOMATIC = SamplingPolicy(n=3, temperature=0.2, include_greedy=False, prompt_tokens=256)


def positions(count: int) -> list[tuple[str, int]]:
    """Pauses at random columns of code lines of this package's own ranking modules."""
    rng = random.Random(11)
    files = sorted(Path(ranking.__file__).parent.glob("*.py"))
    out = []
    while len(out) < count:
        text = rng.choice(files).read_text()
        starts = [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        start = rng.choice(starts[:-1])
        line = text[start : text.index("\n", start)]
        if len(line.strip()) > 8:
            out.append((text, start + rng.randint(len(line) - len(line.lstrip()), len(line))))
    return out


def test_abstaining_requests_stop_early_and_no_answer_changes() -> None:
    engine = CT2Engine(None, device="cpu", threads=1, repeatable=True)
    options = RankOptions(top_k=3, abstain_below=0.1)
    steps: list[int] = []
    shown = 0
    for i, (text, offset) in enumerate(positions(24)):
        request = CompletionRequest(text, offset, "python", policy=replace(AUTOMATIC, seed=i))
        full = suggest(engine, request, options=replace(options, stop_early=False))
        early = suggest(engine, request, options=options)
        assert [s.text for s in early.ranking.suggestions] == [
            s.text for s in full.ranking.suggestions
        ]
        assert early.ranking.abstained == full.ranking.abstained
        assert full.result.gave_up_at == 0
        if early.result.gave_up_at:
            steps.append(early.result.gave_up_at)
        shown += not full.ranking.abstained
    # Most automatic requests abstain, and most of those give up after a few tokens (of 48).
    assert len(steps) >= 8 and shown >= 1, (steps, shown)
    assert sorted(steps)[len(steps) // 2] <= 8, steps


def test_step_log_probs_are_the_ones_the_ranker_sums() -> None:
    engine = CT2Engine(None, device="cpu", threads=1)
    ids = engine.tokenizer.encode("import os\n\n\ndef main(path):\n    return os.path.").ids
    for options in ({"sampling_topk": 50, "num_hypotheses": 3}, {"return_scores": True}):
        seen: dict[tuple[int, int], tuple[int, float]] = {}

        def record(step, seen=seen) -> bool:
            seen[step.hypothesis_id, step.step] = (step.token_id, step.log_prob)
            return False

        res = engine.forward(
            tuple(ids), max_length=8, return_logits_vocab=True, callback=record, **options
        )
        hyps = range(len(res.sequences_ids))
        summed = sorted(sum(lp for (h, _), (_, lp) in seen.items() if h == k) for k in hyps)
        ranked = sorted(
            sum(token_stats(np.asarray(row), t)[0] for t, row in zip(seq, rows))
            for seq, rows in zip(res.sequences_ids, res.logits)
        )
        assert np.allclose(summed, ranked, atol=1e-3), (options, summed, ranked)


def test_the_greedy_and_sampled_mix_never_gives_up() -> None:
    # One call may not give up while the other could still show a candidate.
    engine = CT2Engine(None, device="cpu", threads=1)
    text = "def f(x):\n    return zz_"
    policy = SamplingPolicy(n=3, include_greedy=True, give_up=GiveUp(-0.01), mode=Mode.LINE)
    request = CompletionRequest(text, len(text), "python", policy=policy)
    stats: dict[str, float] = {}
    samples, _ = engine.generate(build_prompt(engine, request), policy, stats=stats)
    assert "gave_up_at" not in stats and len(samples) == 3
    # The same bound on the sampled call alone gives up (every log-prob is below -0.01).
    alone = replace(policy, include_greedy=False)
    engine.generate(build_prompt(engine, request), alone, stats=stats)
    assert stats["gave_up_at"] >= 1
