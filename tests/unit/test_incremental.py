"""Incremental parses (grammars.incremental) give what fresh parses give, for the syntax check
and the review rules, on random insertions into real files of several languages."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from grammars import count_tree_errors, encode, get_parser, parse_with_insert
from grammars.incremental import KEEP, parse
from ranking import RuleSet

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {
    "python": ROOT / "ranking" / "risk.py",
    "javascript": ROOT / "editors" / "vscode" / "src" / "extension.ts",
    "typescript": ROOT / "editors" / "vscode" / "src" / "extension.ts",
}
# Insertions a model writes: whole statements, half lines, unbalanced brackets, a sensitive
# call, non-ASCII text.
PIECES = [
    "x = compute(a, b)\n",
    "return self.items[",
    "subprocess.run(cmd, shell=True)",
    "eval(user_input)\n",
    "}",
    "def f(:\n",
    "  # é ✓ 日本\n",
    '"unterminated',
    "",
]


def _tree_facts(tree, data: bytes, rules: RuleSet, language: str) -> tuple:
    hits = sorted((r.id, s, e) for r, s, e in rules.resolved_hits(tree.root_node, language))
    return count_tree_errors(tree.root_node), str(tree.root_node), hits


@pytest.mark.parametrize("language", sorted(SOURCES))
def test_an_incremental_parse_equals_a_fresh_one(language: str) -> None:
    text = SOURCES[language].read_text(encoding="utf-8")[:20_000]
    data = encode(text)
    rules = RuleSet.default()
    rng = random.Random(11)
    for _ in range(60):
        start = rng.randrange(len(data))
        while data[start] & 0xC0 == 0x80:  # a character boundary
            start -= 1
        end = min(len(data), start + rng.choice([0, 0, 0, 1, 5]))
        while end < len(data) and data[end] & 0xC0 == 0x80:
            end += 1
        piece = encode(rng.choice(PIECES))
        tree, new = parse_with_insert(language, data, start, end, piece)
        assert new == data[:start] + piece + data[end:]
        fresh = get_parser(language).parse(new)
        assert _tree_facts(tree, new, rules, language) == _tree_facts(fresh, new, rules, language)


def test_the_text_before_the_edit_is_parsed_once_and_kept_unedited() -> None:
    data = encode(SOURCES["python"].read_text(encoding="utf-8"))
    base = parse("python", data)
    for piece in (b"x = (", b"y = 1\n", b"z"):
        parse_with_insert("python", data, 100, 100, piece)
    assert parse("python", data) is base  # reused, not re-parsed
    assert str(base.root_node) == str(get_parser("python").parse(data).root_node)  # not edited
    for i in range(KEEP):
        parse("python", data + b"\n" * (i + 1))
    assert parse("python", data) is not base  # older texts make room: memory stays bounded
