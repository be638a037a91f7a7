"""The ranking score and the shown confidence: two small linear models over a candidate's features.

Ordering candidates and saying how likely the chosen one is right are different questions, so
they are different models:

- the **rank score** orders the candidates of one request. It is fitted as a conditional logit
  (a softmax over the candidates of each request, pushed towards the right ones), so only what
  differs between candidates matters;
- the **confidence** is the probability that a candidate is right: Platt scaling of the rank
  score and the candidate's share of its request's softmax (``bench.calibrate.CONFIDENCE_FIT``;
  a file may weigh any of ``CONFIDENCE_INPUTS``), fitted on masked lines the model never
  trained on, so 0.8 means right about 8 times in 10.

Both are fitted per model by ``entropy-complete calibrate`` and shipped in the model directory
as ``confidence.json`` (``for_model`` loads it); without one, hand-set priors apply. The same
model's candidates score differently with another prompt layout, so a directory may also hold
``confidence.<format>.json`` (``prefix``, ``fim``, ``spm``), used for prompts of that layout.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from .features import Features, log1p

CALIBRATION_FILE = "confidence.json"

# Every input either model may use, each a plain function of Features (booleans as 0/1).
INPUTS: dict[str, Callable[[Features], float]] = {
    "mean_logprob": lambda f: f.mean_logprob,
    "sum_logprob": lambda f: f.sum_logprob,
    "min_logprob": lambda f: f.min_logprob,
    "mean_entropy": lambda f: f.mean_entropy,
    "max_entropy": lambda f: f.max_entropy,
    "tail_entropy": lambda f: f.tail_entropy,
    "first_entropy": lambda f: f.first_entropy,
    "agreement": lambda f: f.agreement,
    "vote_share": lambda f: f.vote_share,
    "ended": lambda f: float(f.ended),
    "emitted_eot": lambda f: float(f.emitted_eot),
    "syntax_ok": lambda f: float(f.syntax_ok),
    "known_names": lambda f: f.known_names,
    "log_chars": lambda f: log1p(f.n_chars),
    "log_tokens": lambda f: log1p(f.n_tokens),
    "log_line_typed": lambda f: log1p(f.line_typed),
    "code_after": lambda f: float(f.code_after),
}
# The rank score looks at the candidate alone; the confidence also at the request's context and
# at the rank score and softmax share that ranking gave the candidate. The rank score starts
# from the strongest baseline measured (summed log-prob, RANK_PRIOR) and a fit moves it only as
# far as held-out data supports (see bench.calibrate.fit).
RANK_INPUTS: tuple[str, ...] = (
    "sum_logprob",
    "mean_logprob",
    "min_logprob",
    "max_entropy",
    "vote_share",
    "ended",
    "syntax_ok",
    "known_names",
)
RANK_PRIOR: dict[str, float] = {"sum_logprob": 1.0}
CONFIDENCE_EXTRA: tuple[str, ...] = (
    "mean_entropy",
    "tail_entropy",
    "first_entropy",
    "agreement",
    "emitted_eot",
    "log_chars",
    "log_line_typed",
    "code_after",
)
DERIVED = ("rank_score", "log_share")
CONFIDENCE_INPUTS: tuple[str, ...] = (*DERIVED, *RANK_INPUTS, *CONFIDENCE_EXTRA)
FEATURE_NAMES = CONFIDENCE_INPUTS  # every name a confidence.json may weigh


# What each input can be, for ``ConfidenceModel.give_up_below``: (lowest, highest), where "sum"
# is the candidate's summed log-prob (mean and minimum log-prob lie between it and 0) and
# "entropy" the log of the vocabulary's size (the most a next-token entropy can be).
RANGES: dict[str, tuple[float | str, float | str]] = {
    "mean_logprob": ("sum", 0.0),
    "min_logprob": ("sum", 0.0),
    **{
        n: (0.0, "entropy")
        for n in ("mean_entropy", "max_entropy", "tail_entropy", "first_entropy")
    },
    **{n: (0.0, 1.0) for n in ("agreement", "vote_share", "known_names", "syntax_ok")},
    **{n: (0.0, 1.0) for n in ("ended", "emitted_eot", "code_after")},
    **{n: (0.0, math.inf) for n in ("log_chars", "log_tokens", "log_line_typed")},
    "log_share": (-math.inf, 0.0),
}


def vector(f: Features, names: Sequence[str] = RANK_INPUTS) -> list[float]:
    """The inputs ``names`` for one candidate."""
    return [INPUTS[n](f) for n in names]


def _prior_confidence() -> dict[str, float]:
    # Likelihood and agreement up, entropy (mean, peak) down, a clean end and valid syntax up.
    # Hand-set, hence not calibrated: `entropy-complete calibrate` fits the real mapping.
    return {
        "mean_logprob": 1.5,
        "mean_entropy": -0.6,
        "max_entropy": -0.25,
        "tail_entropy": -0.25,
        "agreement": 2.5,
        "ended": 0.5,
        "syntax_ok": 1.0,
    }


@dataclass(frozen=True, slots=True)
class ConfidenceModel:
    """rank score = sum(rank_weights_i x input_i); confidence = sigmoid(bias + sum(weights_j x
    input_j)) where the inputs also include ``rank_score`` and ``log_share`` (the log of the
    candidate's softmax share of the rank scores of its request).

    The defaults, for models that have not been calibrated: rank by summed log-prob (the
    strongest baseline measured), and a hand-set confidence that is NOT calibrated;
    ``entropy-complete calibrate`` replaces both with fitted weights.
    """

    bias: float = 0.0
    weights: dict[str, float] = field(default_factory=_prior_confidence)
    rank_weights: dict[str, float] = field(default_factory=lambda: dict(RANK_PRIOR))
    source: str = "default priors"

    def rank_score(self, f: Features) -> float:
        return sum(w * INPUTS[n](f) for n, w in self.rank_weights.items())

    def assess(self, feats: Sequence[Features]) -> list[tuple[float, float]]:
        """(rank score, confidence) for every candidate of one request."""
        scores = [self.rank_score(f) for f in feats]
        top = max(scores, default=0.0)
        norm = math.log(sum(math.exp(s - top) for s in scores)) + top if scores else 0.0
        out = []
        for f, s in zip(feats, scores, strict=True):
            derived = {"rank_score": s, "log_share": s - norm}
            z = self.bias + sum(
                w * (derived[n] if n in derived else INPUTS[n](f)) for n, w in self.weights.items()
            )
            out.append((s, 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))))
        return out

    def score(self, f: Features) -> float:
        """The confidence of a candidate judged alone (its request had no other candidate)."""
        return self.assess([f])[0][1]

    def give_up_below(
        self, threshold: float, vocab_size: int, known: dict[str, float] | None = None
    ) -> float | None:
        """The summed log-prob under which no candidate can reach ``threshold``, whatever its
        other inputs (None: no such bound, e.g. a weight that rewards length without limit).

        Each input is taken at its best within what it can be (``RANGES``; mean and minimum
        log-prob lie between the sum and 0, entropies between 0 and log ``vocab_size``, the
        candidate alone in its request); ``known`` fixes the inputs the request already decides
        (``log_line_typed``, ``code_after``). The best confidence is then a line in the sum,
        and the bound is where it crosses ``threshold``: decoding may stop once every
        candidate's summed log-prob is below it.
        """
        if not 0.0 < threshold < 1.0:
            return None
        ranges = {**RANGES, **{k: (v, v) for k, v in (known or {}).items()}}
        top_entropy = math.log(max(2, vocab_size))
        via_rank = self.weights.get("rank_score", 0.0)
        coef = {
            n: self.weights.get(n, 0.0) + via_rank * self.rank_weights.get(n, 0.0) for n in INPUTS
        }
        coef["log_share"] = self.weights.get("log_share", 0.0)
        constant, slope = self.bias, coef.pop("sum_logprob")
        for name, c in coef.items():
            end = ranges[name][c > 0] if c else 0.0
            if end == "sum":  # mean and minimum log-prob: at the sum when that is their best
                slope += c
                continue
            value = top_entropy if end == "entropy" else float(end)
            if math.isinf(value):
                return None
            constant += c * value
        if slope <= 0.0:
            return None  # a lower sum would not lower the confidence: no bound
        return (math.log(threshold / (1.0 - threshold)) - constant) / slope

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps({"format": 2, **asdict(self)}, indent=1) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> ConfidenceModel:
        """Reads fitted parameters; anything but a confidence model is one ValueError that says
        what is wrong (a non-file, a file over 1 MB, bad JSON, the wrong shape, unknown input
        names, weights that are not finite numbers of a sane size).

        A file from before the rank/confidence split (``bias`` and ``weights`` over features
        only) is read as a rank score whose sigmoid is the confidence, which is what it meant.
        """
        try:
            data = json.loads(_read_small(Path(path)))
            if not isinstance(data, dict):
                raise TypeError(f"a JSON object was expected, not {type(data).__name__}")
            weights = _numbers(data.get("weights"), "weights")
            bias = _number(data.get("bias", 0.0), "bias")
            if "rank_weights" in data:
                rank = _numbers(data["rank_weights"], "rank_weights")
            else:
                rank, weights = weights, {"rank_score": 1.0}
        except (OSError, ValueError, TypeError, RecursionError) as e:
            raise ValueError(f"{path}: not a confidence model ({e})") from None
        bad = (set(rank) - set(INPUTS)) | (set(weights) - set(CONFIDENCE_INPUTS))
        if bad:
            raise ValueError(f"{path}: unknown confidence features {sorted(bad)}")
        return cls(bias, weights, rank, str(data.get("source", path))[:200])

    @classmethod
    def for_model(cls, model_dir: str | Path, prompt_format: str = "") -> ConfidenceModel:
        """The model's own calibration for prompts of ``prompt_format`` (``calibration_file``),
        else the priors.

        Read once per file version. A file that cannot be used gives the uncalibrated priors
        (``calibration_problem`` says why), so completions go on.
        """
        return _for_model(model_dir, prompt_format)[0]


# Fitted weights are of order 1; a weight this large is a broken file, and would overflow.
MAX_WEIGHT = 1e4
MAX_FILE_BYTES = 1 << 20


def _read_small(path: Path) -> str:
    """The text of a regular file of at most ``MAX_FILE_BYTES`` (a FIFO would block forever)."""
    with open(path, "rb", opener=lambda p, flags: os.open(p, flags | os.O_NONBLOCK)) as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file")
        if st.st_size > MAX_FILE_BYTES:
            raise ValueError(f"{st.st_size} bytes, more than {MAX_FILE_BYTES}")
        return fh.read(MAX_FILE_BYTES + 1).decode("utf-8")


def _number(value: object, what: str) -> float:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or abs(value) > MAX_WEIGHT:  # type: ignore[arg-type]
        raise ValueError(
            f"{what} must be a finite number within +-{MAX_WEIGHT:g}, not {json.dumps(value)[:40]}"
        )
    return float(value)  # type: ignore[arg-type]


def _numbers(value: object, what: str) -> dict[str, float]:
    if not isinstance(value, dict):
        raise TypeError(f'"{what}" must be an object of input name -> number')
    return {str(k): _number(v, f"{what}.{k}") for k, v in value.items()}


def layout_file(model_dir: str | Path, prompt_format: str) -> Path:
    """``confidence.<format>.json``: a model's calibration for one prompt layout only."""
    return Path(model_dir) / f"confidence.{prompt_format}.json"


def calibration_file(model_dir: str | Path, prompt_format: str = "") -> Path:
    """Where a model's calibration for prompts of ``prompt_format`` lives: its ``layout_file``
    when the directory has one, else ``confidence.json``."""
    if prompt_format and (own := layout_file(model_dir, prompt_format)).exists():
        return own
    return Path(model_dir) / CALIBRATION_FILE


def _for_model(model_dir: str | Path, prompt_format: str) -> tuple[ConfidenceModel, str | None]:
    path = calibration_file(model_dir, prompt_format)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return ConfidenceModel(), None
    return _load_cached(str(path), stamp)


def calibration_problem(model_dir: str | Path, prompt_format: str = "") -> str | None:
    """Why the model's calibration file is not used (None: it is, or there is none)."""
    return _for_model(model_dir, prompt_format)[1]


@lru_cache(maxsize=8)
def _load_cached(path: str, stamp: int) -> tuple[ConfidenceModel, str | None]:
    try:
        return ConfidenceModel.load(path), None
    except ValueError as e:
        return ConfidenceModel(), f"{e}; confidence is uncalibrated until the file is fixed"
