"""Giving up early: what a candidate surely keeps of the text decoded so far, and the summed
log-prob of that part.

Most automatic requests abstain, and the step callback (``decoding.step_callback``) can tell
before the end: once every candidate's summed log-prob is below what the confidence model
could still show (``ranking.ConfidenceModel.give_up_below``), decoding stops. That is only
safe if the sum counts no token that post-processing (``postprocess.make_candidates``) may
remove later, since a shorter candidate has a higher sum. So a running sum here leaves out:

- the end token and newlines (the callback never adds them), and anything after an end;
- trailing whitespace, and an end that is the start of the code after the cursor on its line
  (``trim_suffix_overlap`` trims a completion that ends with it);
- what a repetition loop would cut (``cut_repetition``: a unit of up to 24 characters, not all
  whitespace, four times in a row keeps only its first unit): the repeated tail of any loop
  in progress, and everything after the first unit of a loop already complete.

The final sum of a candidate that is shown is then never above the running one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# postprocess._LOOP: a unit of 1-24 characters repeated to four units in a row is a loop.
MAX_UNIT = 24
LOOP_UNITS = 4
# The code after the cursor that a trim could match is at most what the text decoded so far is
# long; this many characters cover any line a request decodes.
REST_CHARS = 512


@dataclass(frozen=True, slots=True)
class GiveUp:
    """When a request may stop decoding: ``below`` is the summed log-prob under which no
    candidate can be shown; ``rest`` the code after the cursor on its line, which
    post-processing trims from a candidate that ends with it."""

    below: float
    rest: str = ""


class KeptSum:
    """The summed log-prob of the part of one candidate that post-processing surely keeps."""

    __slots__ = ("base", "rests", "text", "starts", "lps", "runs", "cut")

    def __init__(self, base: float = 0.0, rest: str = "", head: str = "") -> None:
        # Token healing's tokens: their log-probs (kept whenever the candidate is) and the text
        # they add after what they re-typed, where a loop may already begin.
        self.base = base
        rest = rest[:REST_CHARS]
        self.rests = tuple({rest, rest.strip()} - {""}) if rest.strip() else ()
        self.text = ""
        self.starts: list[int] = []  # where each token's text begins
        self.lps: list[float] = []
        # runs[u]: how many of the last characters equal the one u before (a loop of unit u
        # in progress repeats that many characters after its first unit).
        self.runs = [0] * (MAX_UNIT + 1)
        self.cut = math.inf  # where a complete loop cuts the text
        self._extend(head)

    def add(self, piece: str, logprob: float | None) -> None:
        """One more token: its text and log-prob (None: unknown, so never give up)."""
        self.starts.append(len(self.text))
        self.lps.append(math.inf if logprob is None else logprob)
        self._extend(piece)

    def _extend(self, piece: str) -> None:
        text, runs = self.text + piece, self.runs
        for i in range(len(self.text), len(text)):
            for u in range(1, min(MAX_UNIT, i) + 1):
                runs[u] = runs[u] + 1 if text[i] == text[i - u] else 0
                cut = i + 1 - runs[u]
                if runs[u] >= (LOOP_UNITS - 1) * u and text[cut - u : cut].strip():
                    self.cut = min(self.cut, cut)
        self.text = text

    def _looping(self) -> int:
        """The longest repeated tail of a loop in progress (units of whitespace only are not
        loops: indentation)."""
        n, text = len(self.text), self.text
        return max(
            (r for u, r in enumerate(self.runs) if r and text[n - r - u : n - r].strip()),
            default=0,
        )

    def value(self) -> float:
        """The sum over the tokens that start before anything post-processing may remove."""
        # A loop's cut comes first (anywhere in the repeated tail of a loop in progress), then
        # trailing whitespace and the end that repeats the code after the cursor: the text
        # decoded so far may end with the start of it, the rest following later.
        first = min(len(self.text) - self._looping(), self.cut)
        end = min(self._trimmed(c) for c in range(int(first), len(self.text) + 1))
        return self.base + sum(lp for st, lp in zip(self.starts, self.lps) if st < end)

    def _trimmed(self, cut: int) -> int:
        kept = self.text[:cut].rstrip()
        overlap = 0
        for rest in self.rests:
            for k in range(min(len(rest), len(kept)), overlap, -1):
                if kept.endswith(rest[:k]):
                    overlap = k
                    break
        return len(kept) - overlap
