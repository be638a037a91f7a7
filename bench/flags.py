"""The flags suite: precision and recall of the sensitive-API rules on labelled snippets.

The snippets (``data/flags.json``) are written for this project in Python, JavaScript and
TypeScript: calls a reviewer should see, and harmless look-alikes (``yaml.load`` with
``SafeLoader``, ``subprocess.run([...])`` without a shell, ``model.eval()``). Each is labelled
with the rule ids it should raise, by what the code does: aliased imports and values built on
an earlier line are labelled positive even though the rules do not see them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

from ranking import RuleSet


@dataclass(frozen=True, slots=True)
class Snippet:
    id: str
    language: str  # grammar name
    code: str
    expect: frozenset[str]  # rule ids; empty for a harmless snippet


def load_snippets(name: str = "flags.json") -> list[Snippet]:
    """Labelled snippets from ``bench/data/NAME`` (``flag_variants.json``: Python variants)."""
    data = json.loads(resources.files("bench").joinpath("data").joinpath(name).read_text("utf-8"))
    return [
        Snippet(s["id"], s["language"], s["code"], frozenset(s["expect"])) for s in data["snippets"]
    ]


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _scores(tp: int, fp: int, fn: int) -> dict:
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = 2 * p * r / (p + r) if p is not None and r is not None and p + r > 0 else None
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f1}


def evaluate(
    snippets: Sequence[Snippet],
    rules: RuleSet | None = None,
    found: Mapping[str, frozenset[str]] | None = None,
) -> dict:
    """Snippet-level and rule-level precision/recall, per language, with the misses listed.

    Snippet level: a snippet counts as flagged when any rule fires. Rule level: each expected
    rule id found is a true positive, each other rule id found a false positive. ``found``
    (snippet id -> rule ids) scores another analyser's findings instead of the rules'.
    """
    if found is None:
        rules = rules or RuleSet.default()
        found = {
            s.id: frozenset(r.id for r, _, _ in rules.find(s.code, s.language)) for s in snippets
        }
    by_language: dict[str, list[Snippet]] = {}
    for s in snippets:
        by_language.setdefault(s.language, []).append(s)

    def tally(group: Sequence[Snippet]) -> dict:
        pos = [s for s in group if s.expect]
        neg = [s for s in group if not s.expect]
        snippet = _scores(
            sum(1 for s in pos if found[s.id]),
            sum(1 for s in neg if found[s.id]),
            sum(1 for s in pos if not found[s.id]),
        )
        snippet["tn"] = sum(1 for s in neg if not found[s.id])
        rule = _scores(
            sum(len(found[s.id] & s.expect) for s in group),
            sum(len(found[s.id] - s.expect) for s in group),
            sum(len(s.expect - found[s.id]) for s in group),
        )
        return {"positives": len(pos), "negatives": len(neg), "snippet": snippet, "rule": rule}

    return {
        "n_snippets": len(snippets),
        **tally(snippets),
        "by_language": {lang: tally(group) for lang, group in sorted(by_language.items())},
        "missed": sorted(s.id for s in snippets if s.expect - found[s.id]),
        "false_alarms": sorted(s.id for s in snippets if found[s.id] - s.expect),
    }


def flags_report(limit: int | None = None, seed: int = 0) -> dict:
    """The flags suite over the shipped snippets (a seeded sample of ``limit``, if given)."""
    snippets = load_snippets()
    if limit is not None and limit < len(snippets):
        snippets = random.Random(seed).sample(snippets, limit)
    return {**evaluate(snippets), "variants": evaluate(load_snippets("flag_variants.json"))}


# Bandit checks that match a rule besides the one in the rule's own `bandit` field.
BANDIT_ALSO = {"B303": "py.weak-hash", "B604": "py.subprocess-shell", "B324": "py.weak-hash"}


def bandit_found(snippets: Sequence[Snippet], rules: RuleSet | None = None) -> dict:
    """What Bandit (``pip install bandit``; not a dependency) reports on each Python snippet,
    as our rule ids through each rule's ``bandit`` field; checks no rule matches (B403 "import
    pickle", B603 "subprocess without a shell", ...) are left out, as they are not review flags.
    """
    import tempfile
    from pathlib import Path

    from bandit.core import config, manager

    rules = rules or RuleSet.default()
    to_rule = {r.bandit: r.id for r in rules.rules.values() if r.bandit} | BANDIT_ALSO
    python = [s for s in snippets if s.language == "python"]
    found: dict[str, set[str]] = {s.id: set() for s in python}
    with tempfile.TemporaryDirectory() as tmp:
        for s in python:
            Path(tmp, f"{s.id}.py").write_text(s.code, encoding="utf-8")
        bandit = manager.BanditManager(config.BanditConfig(), "file", quiet=True)
        bandit.discover_files([tmp], recursive=True)
        bandit.run_tests()
        for issue in bandit.get_issue_list():
            if issue.test_id in to_rule:
                found[Path(issue.fname).stem].add(to_rule[issue.test_id])
    return {k: frozenset(v) for k, v in found.items()}
