"""Workload (a) of the latency suite: cold single-line requests, side by side, interleaved.

For each prompt (HumanEval single-line tasks, official placement) three ways of getting four
candidates take turns, the one that goes first rotating from prompt to prompt:

- ``ours``: the whole request path (``ranking.suggest``): prompt, token healing, a greedy and
  three sampled candidates from the cached prefix, per-token entropy, line stop, ranking with
  syntax and risk analysis.
- ``naive``: the straightforward CTranslate2 route: the prompt batched four times, sampled,
  each candidate running to ``max_tokens`` or an end token.
- ``llama.cpp`` (when llama-cpp-python is installed and a GGUF of the same weights is given):
  four completions of the same prompt token ids, one after another (llama-cpp-python has no
  ``n``; its prompt cache reuses the prefill for the second to fourth).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from completion import CompletionRequest, Mode, SamplingPolicy
from completion.pipeline import build_prompt
from ranking.suggest import suggest

CANDIDATES = 4


@dataclass(frozen=True, slots=True)
class Measured:
    """One method on one prompt."""

    seconds: float
    tokens: int  # generated tokens, all candidates together
    rank_seconds: float = 0.0  # ours: ranking, syntax and risk analysis


def _policy(max_tokens: int, fixed_length: bool) -> SamplingPolicy:
    # Random weights (architecture runs) rarely end a line: every method then generates
    # ``max_tokens`` per candidate, so the same work is timed.
    mode = Mode.BLOCK if fixed_length else Mode.LINE
    return SamplingPolicy(n=CANDIDATES, temperature=0.4, max_new_tokens=max_tokens, mode=mode)


def ours(engine, request: CompletionRequest) -> Measured:
    t = time.perf_counter()
    outcome = suggest(engine, request)
    took = time.perf_counter() - t
    # Tokens kept after the line stop (duplicates counted once per sample that made them).
    tokens = sum(len(c.logprobs) * c.votes for c in outcome.result.candidates)
    return Measured(took, tokens, outcome.result.timings.rank)


def _prompt_ids(engine, request: CompletionRequest) -> list[int]:
    # The same window as ours, without token healing (the other methods cannot constrain it).
    return list(build_prompt(engine, request, heal=False).ids)


def naive(engine, request: CompletionRequest) -> Measured:
    ids = _prompt_ids(engine, request)
    tokens = [engine.tokenizer.id_to_token(i) for i in ids]
    p = request.policy
    t = time.perf_counter()
    results = engine.generator.generate_batch(
        [tokens] * CANDIDATES,
        max_length=p.max_new_tokens,
        include_prompt_in_result=False,
        sampling_topk=p.top_k,
        sampling_topp=p.top_p,
        sampling_temperature=p.temperature,
        end_token=list(engine.stops),
        return_scores=True,
    )
    took = time.perf_counter() - t
    return Measured(took, sum(len(r.sequences_ids[0]) for r in results))


class LlamaCpp:
    """llama-cpp-python on a GGUF of the same weights, on the same prompt token ids."""

    def __init__(self, gguf: Path, threads: int, context: int) -> None:
        from llama_cpp import Llama

        self.llm = Llama(
            model_path=str(gguf),
            n_ctx=context,
            n_threads=max(1, threads),
            n_threads_batch=max(1, threads),
            verbose=False,
        )
        self.eos = self.llm.token_eos()

    def __call__(self, engine, request: CompletionRequest, fixed_length: bool) -> Measured:
        ids = _prompt_ids(engine, request)
        p = request.policy
        bias = {self.eos: -1e9} if fixed_length else None
        tokens = 0
        t = time.perf_counter()
        for k in range(CANDIDATES):
            out = self.llm.create_completion(
                ids,
                max_tokens=p.max_new_tokens,
                temperature=p.temperature if k else 0.0,  # one greedy, like ours
                top_p=p.top_p,
                top_k=p.top_k,
                stop=None if fixed_length else ["\n"],
                logit_bias=bias,
                seed=k,
            )
            tokens += out["usage"]["completion_tokens"]  # type: ignore[index]
        return Measured(time.perf_counter() - t, tokens)


def _summary(values: list[Measured]) -> dict:
    ms = sorted(v.seconds * 1000 for v in values)
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(ms[max(0, round(0.95 * len(ms)) - 1)], 1),
        "tokens_per_candidate": round(statistics.fmean(v.tokens for v in values) / CANDIDATES, 1),
    }


def cold_requests(
    engine,
    requests: list[CompletionRequest],
    llama: LlamaCpp | None = None,
    fixed_length: bool = False,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Times every method on every request, interleaved; medians, p95 and ratios."""
    methods: dict[str, Callable[[CompletionRequest], Measured]] = {
        "ours": lambda r: ours(engine, r),
        "naive": lambda r: naive(engine, r),
    }
    if llama is not None:
        methods["llama.cpp"] = lambda r: llama(engine, r, fixed_length)
    results: dict[str, list[Measured]] = {name: [] for name in methods}
    names = list(methods)
    for i, request in enumerate(requests):
        order = names[i % len(names) :] + names[: i % len(names)]
        for name in order:
            results[name].append(methods[name](request))
        if progress is not None:
            progress(i + 1)
    out: dict = {name: _summary(vals) for name, vals in results.items()}
    share = [m.rank_seconds / m.seconds for m in results["ours"]]
    out["ours"]["rank_share_p50"] = round(statistics.median(share), 3)
    out["ours"]["rank_share_max"] = round(max(share), 3)
    out["ours"]["rank_share_first"] = round(share[0], 3)
    ratios = {}
    for other in names[1:]:
        per = [a.seconds / b.seconds for a, b in zip(results["ours"], results[other])]
        ratios[f"ours/{other}"] = round(statistics.median(per), 3)
    out["ratios"] = ratios
    return out


def requests_for(tasks, max_tokens: int, fixed_length: bool) -> list[CompletionRequest]:
    policy = _policy(max_tokens, fixed_length)
    return [CompletionRequest(t.text, t.offset, "python", t.path, policy) for t in tasks]
