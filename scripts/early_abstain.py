"""What giving up early saves, and that it changes no answer: on held-out masked lines, with the
server's automatic policy, every request runs twice, decoding to the end and giving up once no
candidate can reach ``abstainBelow`` (``ranking.suggest``), interleaved, on a repeatable engine
so both draw the same samples.

Usage: python scripts/early_abstain.py [--limit 400] [--seed 7] [--below 0.1]

Prints the bound, how many requests abstain and give up and after how many tokens, the answers
that differ (there should be none), and the median and mean request time of each way, timed on
an engine like the server's (prompt prefixes cached), each request both ways in turn. The
lines come from the corpus's held-out files (``python -m training.heldout``), never a
benchmark's. Exit status 1 when an answer differs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace

from bench.masked import calibration_tasks
from completion import CompletionRequest, CT2Engine, Mode, SamplingPolicy
from ranking import ConfidenceModel, RankOptions
from ranking.suggest import give_up_bound, suggest, warm_up
from training.heldout import heldout_paths

AUTOMATIC = SamplingPolicy(
    n=3, temperature=0.2, include_greedy=False, prompt_tokens=256, mode=Mode.LINE
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--limit", type=int, default=400, help="masked lines (default 400)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--below", type=float, default=0.1, help="abstainBelow (default 0.1)")
    args = p.parse_args(argv)
    paths, problems = heldout_paths()
    if problems:
        print(
            f"early_abstain: error: {problems[0]} (python -m training.heldout --check)",
            file=sys.stderr,
        )
        return 2
    # Answers from a repeatable engine (a fresh generator per call: the same samples both
    # ways); times from one like the server's, whose prompt prefixes stay cached.
    engine = CT2Engine(None, device="cpu", threads=1, repeatable=True)
    timed = CT2Engine(None, device="cpu", threads=1)
    warm_up(timed)
    model = ConfidenceModel.for_model(engine.info.path)
    options = RankOptions(top_k=3, abstain_below=args.below)
    tasks = calibration_tasks(list(paths), args.limit, args.seed, engine.info.languages)
    times: dict[bool, list[float]] = {False: [], True: []}
    quiet, gave_up, steps, full_tokens, differ = 0, 0, [], [], []
    bounds = []
    for i, task in enumerate(tasks):
        request = CompletionRequest(
            task.text, task.offset, "python", task.path, policy=replace(AUTOMATIC, seed=i)
        )
        bounds.append(give_up_bound(engine, request, options, model))
        full, early_out = (
            suggest(engine, request, options=replace(options, stop_early=early), model=model)
            for early in (False, True)
        )
        for early in (i % 2 == 0, i % 2 == 1):  # which goes first alternates
            t = time.perf_counter()
            suggest(timed, request, options=replace(options, stop_early=early), model=model)
            times[early].append(time.perf_counter() - t)
        texts = [[s.text for s in o.ranking.suggestions] for o in (full, early_out)]
        if texts[0] != texts[1]:
            differ.append((i, *texts))
        quiet += full.ranking.abstained
        if early_out.result.gave_up_at:
            gave_up += 1
            steps.append(early_out.result.gave_up_at)
            full_tokens.append(max((len(c.logprobs) for c in full.result.candidates), default=0))
    known = [b.below for b in bounds if b is not None]
    n = len(tasks)
    print(f"bound (summed log-prob): {min(known):.2f} to {max(known):.2f}" if known else "no bound")
    print(f"{n} requests: {quiet} abstain ({100 * quiet / n:.0f}%), {gave_up} give up early")
    if steps:
        print(
            f"  tokens decoded by those, median: {statistics.median(steps):g} "
            f"(their candidates keep {statistics.median(full_tokens):g} decoding to the end)"
        )
    print(f"answers that differ: {len(differ)}")
    for i, a, b in differ[:10]:
        print(f"  request {i}: to the end {a!r}, giving up {b!r}")
    for early, name in ((False, "to the end"), (True, "giving up")):
        ms = [1000 * x for x in times[early]]
        print(f"{name}: median {statistics.median(ms):.1f} ms, mean {statistics.mean(ms):.1f} ms")
    ratio = statistics.median(times[True]) / statistics.median(times[False])
    print(f"median ratio giving up / to the end: {ratio:.2f}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
