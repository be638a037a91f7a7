"""How much decoding an early abstention could save: on held-out masked lines, with the server's
automatic policy, how many requests abstain, how many tokens they decode, and at which token
every candidate's running log-prob sum falls below a bound under which none can be shown.

Usage: python scripts/early_abstain.py [--limit 400] [--seed 7] [--bound -2.7] [--below 0.1]

With the shipped model's confidence.json, a summed log-prob below about -2.7 cannot reach a
confidence of 0.1 whatever the other features are (they are taken at their best; min_logprob is
never lower than the sum). The script measures; it changes nothing in the server. The lines
come from the corpus's held-out files (``python -m training.heldout``), never a benchmark's.
"""

from __future__ import annotations

import argparse
import statistics
import sys

from bench.masked import calibration_tasks
from completion import CompletionRequest, CT2Engine, Mode, SamplingPolicy
from ranking import RankOptions
from ranking.suggest import suggest, warm_up
from training.heldout import heldout_paths


def first_below(logprobs: list[tuple[float, ...]], bound: float) -> int | None:
    """The first token count k at which every candidate's sum of its first k log-probs is
    below ``bound`` (None if that never happens, or there is no candidate)."""
    longest = max((len(lps) for lps in logprobs), default=0)
    for k in range(1, longest + 1):
        if logprobs and all(sum(lps[:k]) < bound for lps in logprobs):
            return k
    return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--limit", type=int, default=400, help="masked lines (default 400)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--bound", type=float, default=-2.7, help="summed log-prob bound (-2.7)")
    p.add_argument("--below", type=float, default=0.1, help="abstainBelow (default 0.1)")
    args = p.parse_args(argv)
    paths, problems = heldout_paths()
    if problems:
        print(
            f"early_abstain: error: {problems[0]} (python -m training.heldout --check)",
            file=sys.stderr,
        )
        return 2
    engine = CT2Engine(None, device="cpu", threads=1)
    warm_up(engine)
    tasks = calibration_tasks(list(paths), args.limit, args.seed, engine.info.languages)
    rows = []  # (abstained, tokens decoded, first-token log-probs, first_below)
    for i, task in enumerate(tasks):
        policy = SamplingPolicy(
            n=3, temperature=0.2, include_greedy=False, prompt_tokens=256, mode=Mode.LINE, seed=i
        )
        request = CompletionRequest(task.text, task.offset, "python", task.path, policy=policy)
        out = suggest(engine, request, options=RankOptions(top_k=3, abstain_below=args.below))
        lps = [c.logprobs for c in out.result.candidates if c.logprobs]
        tokens = max((len(x) for x in lps), default=0)
        rows.append(
            (out.ranking.abstained, tokens, [x[0] for x in lps], first_below(lps, args.bound))
        )
    quiet = [r for r in rows if r[0]]
    shown = [r for r in rows if not r[0]]
    early = [r for r in quiet if r[3] is not None]
    stops = [r[3] for r in early if r[3] is not None]
    print(f"{len(rows)} requests: {len(quiet)} abstain ({100 * len(quiet) / len(rows):.0f}%)")
    print(
        f"tokens decoded, median: abstaining {statistics.median([r[1] for r in quiet] or [0])}, "
        f"shown {statistics.median([r[1] for r in shown] or [0])}"
    )
    print(
        f"abstaining requests whose every running sum falls below {args.bound:g}: {len(early)} "
        f"({100 * len(early) / max(1, len(quiet)):.0f}%), at token "
        f"{statistics.median(stops) if stops else '-'} (median) of "
        f"{statistics.median([r[1] for r in early]) if early else '-'}"
    )
    first = [r for r in quiet if r[2] and max(r[2]) < args.bound]
    print(f"  ... already at the first token: {len(first)}")
    crossed = [r for r in shown if r[3] is not None]
    print(f"shown requests that would have stopped (the bound says none): {len(crossed)}")
    return 1 if crossed else 0


if __name__ == "__main__":
    sys.exit(main())
