"""A malformed request is refused before the model runs, with one line naming the bad value (the
server turns it into a JSON-RPC error; the CLI checks the same ranges when it parses options)."""

from __future__ import annotations

import dataclasses

import pytest

from completion import CompletionRequest, SamplingPolicy
from completion.errors import InvalidRequestError
from completion.pipeline import MAX_SEED, validate

TEXT = "def f():\n    return "

BAD = {
    "temperature": (dataclasses.replace(SamplingPolicy(), temperature=2.5), "temperature", "2.5"),
    "top_p zero": (dataclasses.replace(SamplingPolicy(), top_p=0.0), "top_p", "0.0"),
    "top_p above 1": (dataclasses.replace(SamplingPolicy(), top_p=1.5), "top_p", "1.5"),
    "top_k": (dataclasses.replace(SamplingPolicy(), top_k=-1), "top_k", "-1"),
    "n": (dataclasses.replace(SamplingPolicy(), n=33), "candidates", "33"),
    "negative seed": (dataclasses.replace(SamplingPolicy(), seed=-1), "seed", "-1"),
    "seed past 32 bits": (
        dataclasses.replace(SamplingPolicy(), seed=MAX_SEED + 1),
        "seed",
        "4294967296",
    ),
    "max tokens": (
        dataclasses.replace(SamplingPolicy(), max_new_tokens=-3),
        "max_new_tokens",
        "-3",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_each_bad_value_is_named(case: str) -> None:
    policy, name, value = BAD[case]
    with pytest.raises(InvalidRequestError) as err:
        validate(CompletionRequest(TEXT, len(TEXT), "python", policy=policy))
    message = str(err.value)
    assert name in message and value in message and "\n" not in message


def test_the_edges_of_each_range_are_accepted() -> None:
    policy = SamplingPolicy(n=32, temperature=2.0, top_p=1.0, top_k=0, seed=MAX_SEED)
    validate(CompletionRequest(TEXT, len(TEXT), "python", policy=policy))
    validate(CompletionRequest(TEXT, 0, "python", policy=dataclasses.replace(policy, n=1)))


def test_a_cursor_outside_the_document() -> None:
    with pytest.raises(InvalidRequestError, match=f"offset {len(TEXT) + 1} .*length {len(TEXT)}"):
        validate(CompletionRequest(TEXT, len(TEXT) + 1, "python"))
