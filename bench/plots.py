"""PNG plots of a suite's confidence: reliability diagram and risk-coverage curve (matplotlib)."""

from __future__ import annotations

from pathlib import Path

# What each curve is called in the plots: what users see, and a refit on the suite's own half.
SERIES = (
    ("shown", "shown (all tasks)", "tab:blue"),
    ("fitted", "refit on this suite (held-out half)", "tab:gray"),
)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server or in CI
    import matplotlib.pyplot as plt

    return plt


def reliability_plot(confidence: dict, title: str, path: Path) -> Path:
    """Accuracy against mean confidence per bin, with the diagonal of perfect calibration."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    ax.plot([0, 1], [0, 1], linestyle="--", color="black", linewidth=1, label="perfect")
    for key, label, color in SERIES:
        q = confidence[key]
        bins = [b for b in q["reliability"] if b["n"]]
        ece = "n/a" if q["ece"] is None else f"{q['ece']:.3f}"
        ax.plot(
            [b["confidence"] for b in bins],
            [b["accuracy"] for b in bins],
            marker="o",
            color=color,
            label=f"{label}, ECE {ece}",
        )
        for b in bins:
            ax.annotate(str(b["n"]), (b["confidence"], b["accuracy"]), fontsize=7, color=color)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence", ylabel="accuracy", title=title)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def risk_coverage_plot(confidence: dict, title: str, path: Path) -> Path:
    """Accuracy of the most confident share of suggestions, as that share grows."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for key, label, color in SERIES:
        rc = confidence[key]["risk_coverage"]
        aurc = "n/a" if rc["aurc"] is None else f"{rc['aurc']:.3f}"
        ax.plot(rc["coverage"], rc["accuracy"], color=color, label=f"{label}, AURC {aurc}")
    for c in (0.5, 0.8, 0.9):
        ax.axvline(c, color="lightgray", linewidth=0.8)
    ax.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="coverage", ylabel="accuracy", title=title)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
