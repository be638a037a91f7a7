"""Ranking: features, calibrated confidence, ordering, abstention and review flags."""

from __future__ import annotations

from .confidence import FEATURE_NAMES, ConfidenceModel
from .features import Features
from .rank import Ranking, RankOptions, Suggestion, rank
from .risk import REVIEW_ENTROPY, ReviewFlag, Rule, RuleSet, find_flags, flag_record

__all__ = [
    "FEATURE_NAMES",
    "REVIEW_ENTROPY",
    "ConfidenceModel",
    "Features",
    "RankOptions",
    "Ranking",
    "ReviewFlag",
    "flag_record",
    "Rule",
    "RuleSet",
    "Suggestion",
    "find_flags",
    "rank",
]
