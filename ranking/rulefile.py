"""Rules as data: rule records, a user's rules file, and checked sensitive-API queries."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tree_sitter

from grammars import LANGUAGES, RuleError, get_language

RULE_FIELDS = {"cwe", "message", "bandit", "always_review"}
FILE_FIELDS = {"rules", "queries", "query_files"}


@dataclass(frozen=True, slots=True)
class Rule:
    """One sensitive-API rule: what it means; its patterns live in the query files."""

    id: str  # also the capture name in the queries, e.g. "py.subprocess-shell"
    cwe: str  # "CWE-78"
    message: str  # "call to subprocess with shell=True"
    bandit: str | None = None  # "B602": Bandit's matching check (bench compares the two)
    always_review: bool = False  # flag even when the model was confident


def parse_rules(table: Any, where: str) -> dict[str, Rule]:
    """Rule records from the `rules` object of a rules file; RuleError on any bad field."""
    if not isinstance(table, dict):
        raise RuleError(f"{where}: 'rules' must be an object mapping rule id -> rule")
    rules: dict[str, Rule] = {}
    for rule_id, entry in table.items():
        at = f"{where}: rule {rule_id!r}"
        if not isinstance(entry, dict):
            raise RuleError(f"{at} must be an object with 'cwe' and 'message'")
        if unknown := sorted(set(entry) - RULE_FIELDS):
            raise RuleError(f"{at} has unknown field(s) {unknown}; allowed: {sorted(RULE_FIELDS)}")
        cwe, message = entry.get("cwe"), entry.get("message")
        bandit = entry.get("bandit")
        always_review = entry.get("always_review", False)
        if not (isinstance(cwe, str) and cwe.startswith("CWE-")):
            raise RuleError(f"{at} needs 'cwe' as a string like \"CWE-78\"")
        if not (isinstance(message, str) and message):
            raise RuleError(f"{at} needs a non-empty 'message' string")
        if bandit is not None and not isinstance(bandit, str):
            raise RuleError(f"{at}: 'bandit' must be a string like \"B602\" or null")
        if not isinstance(always_review, bool):
            raise RuleError(f"{at}: 'always_review' must be true or false")
        rules[rule_id] = Rule(rule_id, cwe, message, bandit, always_review)
    return rules


def extra_queries(data: dict[str, Any], base: Path, where: str) -> Iterator[tuple[str, str]]:
    """(language, query source) pairs from a rules file's `queries` and `query_files`."""
    for key in ("queries", "query_files"):
        table = data.get(key, {})
        if not isinstance(table, dict):
            raise RuleError(f"{where}: '{key}' must be an object mapping language -> {key[:-1]}")
        for language, value in table.items():
            if language not in LANGUAGES:
                raise RuleError(f"{where}: unknown language {language!r} in '{key}'")
            if not isinstance(value, str):
                raise RuleError(f"{where}: '{key}.{language}' must be a string")
            if key == "queries":
                yield language, value
                continue
            try:
                yield language, (base / value).read_text(encoding="utf-8")
            except OSError as exc:
                reason = exc.strerror
                raise RuleError(f"{where}: cannot read query file {value!r} ({reason})") from None


def compile_query(
    language: str, source: str, rules: Mapping[str, Rule], where: str
) -> tree_sitter.Query:
    try:
        query = tree_sitter.Query(get_language(language), source)
    except tree_sitter.QueryError as exc:
        raise RuleError(f"{where}: {' '.join(str(exc).split())}") from None
    check_captures(query, rules, where)
    return query


def check_captures(query: tree_sitter.Query, rules: Mapping[str, Rule], where: str) -> None:
    # A capture that is neither a helper (`_x`) nor a rule id would silently never report.
    for index in range(query.capture_count):
        name = query.capture_name(index)
        if not name.startswith("_") and name not in rules:
            raise RuleError(f"{where}: capture @{name} is not a rule id in the rules table")
