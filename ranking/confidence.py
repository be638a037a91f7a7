"""The confidence model: one logistic score in [0, 1] from a candidate's features."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .features import Features

# The inputs of the logistic model, in order; each is a plain function of Features.
FEATURE_NAMES: tuple[str, ...] = (
    "mean_logprob",
    "mean_entropy",
    "max_entropy",
    "tail_entropy",
    "agreement",
    "ended",
    "syntax_ok",
)


def vector(f: Features) -> list[float]:
    """The model's inputs for one candidate (booleans as 0/1)."""
    return [
        f.mean_logprob,
        f.mean_entropy,
        f.max_entropy,
        f.tail_entropy,
        f.agreement,
        float(f.ended),
        float(f.syntax_ok),
    ]


@dataclass(frozen=True, slots=True)
class ConfidenceModel:
    """confidence = sigmoid(bias + sum(weight_i * feature_i)).

    The defaults are hand-set priors: likelihood and agreement raise confidence, entropy
    (mean, peak and at the end) lowers it, a clean end and valid syntax raise it. The
    benchmark fits the weights by logistic regression on one half of its tasks (Platt-style)
    and writes them as JSON; ``load`` reads that file.
    """

    bias: float = 0.0
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "mean_logprob": 1.5,
            "mean_entropy": -0.6,
            "max_entropy": -0.25,
            "tail_entropy": -0.25,
            "agreement": 2.5,
            "ended": 0.5,
            "syntax_ok": 1.0,
        }
    )
    source: str = "default priors"

    def score(self, f: Features) -> float:
        z = self.bias + sum(self.weights.get(n, 0.0) * x for n, x in zip(FEATURE_NAMES, vector(f)))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, path: str | Path) -> ConfidenceModel:
        """Reads fitted parameters; unknown feature names are an error, missing ones count 0."""
        data = json.loads(Path(path).read_text())
        unknown = set(data.get("weights", {})) - set(FEATURE_NAMES)
        if unknown:
            raise ValueError(f"{path}: unknown confidence features {sorted(unknown)}")
        return cls(
            float(data.get("bias", 0.0)), dict(data["weights"]), str(data.get("source", path))
        )
