"""The labelled snippets of the flags suite, and how they are scored."""

from __future__ import annotations

from bench.flags import evaluate, flags_report, load_snippets
from grammars import is_valid
from ranking import RuleSet

# Every language with review rules has snippets of both kinds.
LANGUAGES = ("python", "javascript", "typescript", "go", "c", "java", "rust")


def test_snippets_are_well_formed() -> None:
    snippets = load_snippets()
    rules = RuleSet.default()
    assert len({s.id for s in snippets}) == len(snippets) >= 100
    assert {s.language for s in snippets} == set(LANGUAGES)
    for s in snippets:
        assert is_valid(s.code, s.language), s.id
        assert s.expect <= set(rules.rules), s.id
    for lang in LANGUAGES:
        group = [s for s in snippets if s.language == lang]
        assert any(s.expect for s in group) and any(not s.expect for s in group), lang
    ids = {s.id for s in snippets}
    assert {"py-yaml-safeloader", "py-run-list"} <= ids  # the negatives the issue asks for


def test_scoring_counts_add_up() -> None:
    report = flags_report()
    sn = report["snippet"]
    assert sn["tp"] + sn["fn"] == report["positives"]
    assert sn["fp"] + sn["tn"] == report["negatives"]
    assert 0 <= sn["precision"] <= 1 and 0 <= sn["recall"] <= 1
    assert set(report["by_language"]) == set(LANGUAGES)
    assert "py-yaml-safeloader" not in report["false_alarms"]
    assert len(flags_report(limit=10, seed=1)["missed"]) <= 10
    assert flags_report(limit=10, seed=1)["n_snippets"] == 10


def test_evaluate_by_hand() -> None:
    from bench.flags import Snippet

    snippets = [s for s in load_snippets() if s.id in {"py-eval", "py-json-loads"}]
    # A snippet labelled with a rule its code does not break: the scorer must count a miss.
    snippets.append(Snippet("made-up-miss", "python", "print(1)\n", frozenset({"py.eval"})))
    r = evaluate(snippets)
    sn = r["snippet"]
    assert (sn["tp"], sn["fp"], sn["fn"], sn["tn"]) == (1, 0, 1, 1)
    assert r["missed"] == ["made-up-miss"] and sn["precision"] == 1.0 and sn["recall"] == 0.5
