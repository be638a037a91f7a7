"""Review flags: sensitive-API calls in a completion, weighed by the model's token entropy."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cache, partial
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import tree_sitter

from grammars import (
    LANGUAGES,
    RuleError,
    byte_to_char,
    char_to_byte,
    encode,
    get_parser,
    parse_with_insert,
    query_source,
)

from . import resolve, resolve_js
from .rulefile import (
    FILE_FIELDS,
    Rule,
    compile_query,
    extra_queries,
    parse_rules,
)

QUERY_KIND = "sensitive"  # grammars/queries/<language>/sensitive.scm
# Per language: the calls in a range rewritten with names resolved (ranking.resolve for Python,
# ranking.resolve_js for module aliases in JavaScript and TypeScript).
_REWRITERS: dict[str, Callable[[tree_sitter.Node, int, int], Iterator[tuple[int, int, bytes]]]] = {
    "python": resolve.rewrites,
    **{
        lang: partial(resolve_js.rewrites, language=lang)
        for lang in ("javascript", "typescript", "tsx")
    },
}


@dataclass(frozen=True, slots=True)
class ReviewFlag:
    """A sensitive-API hit inside a completion, with the model's uncertainty over it."""

    rule: str  # rule id, e.g. "py.subprocess-shell"
    cwe: str  # "CWE-78"
    message: str  # "call to subprocess with shell=True"
    start: int  # char offset inside the inserted text
    end: int
    entropy: float  # mean entropy (nats) of the generated tokens overlapping [start, end)
    max_entropy: float
    review_required: bool


def flag_record(flag: Any, *names: str) -> dict[str, Any]:
    """A review flag (a ``ReviewFlag`` or any dataclass with its fields) as a JSON-ready dict,
    floats rounded to 4 places: every field, or only ``names``. The one serializer behind
    telemetry, the accept command and the CLI's JSON."""
    out = {n: getattr(flag, n) for n in names or [f.name for f in fields(flag)]}
    return {n: round(v, 4) if isinstance(v, float) else v for n, v in out.items()}


class RuleSet:
    """The rules table plus the sensitive-API query of each language, compiled on first use."""

    def __init__(
        self,
        rules: Mapping[str, Rule],
        sources: Mapping[str, str],
        queries: Mapping[str, tree_sitter.Query] | None = None,
    ) -> None:
        """Use `RuleSet.default()` or `.extended(...)`; this takes already-checked parts.

        A language's query is compiled when it is first needed (compiling all nine shipped ones
        took 0.28 s of every server's start, where one language is the usual case).
        """
        self._rules = MappingProxyType(dict(rules))
        self._sources = dict(sources)  # kept so extended() can append to a language's query
        self._queries = dict(queries or {})

    def query(self, language: str) -> tree_sitter.Query | None:
        """The language's compiled query (compiled now if it was not), None if it has none.

        Raises:
            RuleError: the query does not compile or captures a name that is not a rule id.
        """
        query = self._queries.get(language)
        if query is None and language in self._sources:
            where = f"grammars/queries/{language}/{QUERY_KIND}.scm"
            query = compile_query(language, self._sources[language], self._rules, where)
            self._queries[language] = query
        return query

    @classmethod
    def default(cls) -> RuleSet:
        """The shipped rules (grammars/rules.json and grammars/queries/*/sensitive.scm)."""
        return _default_rule_set()

    @property
    def rules(self) -> Mapping[str, Rule]:
        """Rule id -> Rule (read-only)."""
        return self._rules

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages that have a sensitive-API query."""
        return tuple(self._sources)

    def extended(self, extra_rules_file: str | Path) -> RuleSet:
        """A new RuleSet with a user's rules and queries added (same ids override).

        The file is JSON: `{"rules": {id: {"cwe", "message", "bandit"?, "always_review"?}},
        "queries": {language: "<query source>"}, "query_files":
        {language: "path.scm"}}`; query file paths are relative to the JSON file.

        Raises:
            RuleError: unreadable file, bad JSON or fields, a query that does not compile, or a
                capture that names no rule.
        """
        path = Path(extra_rules_file)
        where = str(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise RuleError(f"{where}: cannot read rules file ({exc.strerror})") from None
        except json.JSONDecodeError as exc:
            raise RuleError(f"{where}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
        if not isinstance(data, dict):
            raise RuleError(f"{where}: expected a JSON object with keys {sorted(FILE_FIELDS)}")
        if unknown := sorted(set(data) - FILE_FIELDS):
            raise RuleError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(FILE_FIELDS)}")
        rules = {**self._rules, **parse_rules(data.get("rules", {}), where)}
        sources = dict(self._sources)
        # The languages the file extends are compiled now, so its errors show when it loads.
        queries = dict(self._queries)
        for language, extra in extra_queries(data, path.parent, where):
            at = f"{where}: query for {language}"
            compile_query(
                language, extra, rules, at
            )  # alone first, so error rows match the user's text
            sources[language] = f"{sources[language]}\n{extra}" if language in sources else extra
            queries[language] = compile_query(language, sources[language], rules, at)
        return RuleSet(rules, sources, queries)

    def find(self, text: str, language: str) -> list[tuple[Rule, int, int]]:
        """All hits in `text` as (rule, start, end) code-point spans, sorted by position."""
        if self.query(language) is None:
            return []
        data = encode(text)
        tree = get_parser(language).parse(data)
        spans = {
            (byte_to_char(data, start), byte_to_char(data, end), rule.id): rule
            for rule, start, end in self.resolved_hits(tree.root_node, language)
        }
        return [(rule, start, end) for (start, end, _), rule in sorted(spans.items())]

    def byte_hits(
        self,
        root: tree_sitter.Node,
        language: str,
        start_byte: int | None = None,
        end_byte: int | None = None,
    ) -> Iterator[tuple[Rule, int, int]]:
        """Hits in a parsed tree as (rule, start_byte, end_byte), optionally near a byte range."""
        query = self.query(language)
        if query is None:
            return
        cursor = tree_sitter.QueryCursor(query)
        if start_byte is not None and end_byte is not None:
            cursor.set_byte_range(start_byte, end_byte)
        for _, captures in cursor.matches(root):
            for name, nodes in captures.items():
                rule = self._rules.get(name)
                if rule is not None:
                    for node in nodes:
                        yield rule, node.start_byte, node.end_byte

    def resolved_hits(
        self, root: tree_sitter.Node, language: str, lo: int = 0, hi: int | None = None
    ) -> list[tuple[Rule, int, int]]:
        """`byte_hits` in [lo, hi), with each call the language's rewriter reads differently
        (an alias resolved, a local value inlined) judged by its rewritten text instead."""
        hi = root.end_byte if hi is None else hi
        hits = list(self.byte_hits(root, language, lo, hi))
        rewriter = _REWRITERS.get(language)
        if rewriter is None:
            return hits
        # All rewritten calls parsed as one text, a call per line: one parse, one query.
        spans, offset, lines = {}, 0, []
        for start, end, source in rewriter(root, lo, hi):
            spans[(offset, offset + len(source))] = (start, end)
            offset += len(source) + 1
            lines.append(source)
        if not spans:
            return hits
        hits = [hit for hit in hits if (hit[1], hit[2]) not in spans.values()]
        tree = get_parser(language).parse(b"\n".join(lines))
        for rule, s, e in self.byte_hits(tree.root_node, language):
            if (s, e) in spans:  # the call itself, not one inside its arguments
                hits.append((rule, *spans[(s, e)]))
        return hits


@cache
def _default_rule_set() -> RuleSet:
    where = "grammars/rules.json"
    table = json.loads(resources.files("grammars").joinpath("rules.json").read_text("utf-8"))
    rules = parse_rules(table.get("rules"), where)
    sources = {
        language: source
        for language in LANGUAGES
        if (source := query_source(language, QUERY_KIND)) is not None
    }
    return RuleSet(rules, sources)


def _token_entropy(
    start: int, end: int, token_starts: Sequence[int], entropies: Sequence[float], length: int
) -> tuple[float, float]:
    """(mean, max) entropy of the tokens overlapping [start, end); (0.0, 0.0) if none."""
    ends = [*token_starts[1:], length][: len(token_starts)]
    values = [
        entropy
        for token_start, token_end, entropy in zip(token_starts, ends, entropies, strict=True)
        if token_start < end and token_end > start
    ]
    if not values:
        return 0.0, 0.0
    return math.fsum(values) / len(values), max(values)


# Nats: a sensitive call the model was less sure of than this needs a person's review (the
# default of the server's review.entropyThreshold and of RankOptions).
REVIEW_ENTROPY = 1.5


def find_flags(
    document: str,
    offset: int,
    inserted: str,
    language: str,
    token_starts: Sequence[int],
    entropies: Sequence[float],
    *,
    threshold: float = REVIEW_ENTROPY,
    rules: RuleSet | None = None,
    replace: int = 0,
) -> list[ReviewFlag]:
    """Sensitive-API hits that a completion writes, flagged for review when risky or uncertain.

    The completion is parsed in place (so `import subprocess` above the cursor and the call in
    the completion are one tree); only hits overlapping the inserted text are kept.

    Args:
        document: the document before the completion.
        offset: code-point offset where `inserted` goes.
        inserted: the completion text.
        language: a registered language name; languages without a sensitive query give [].
        token_starts: sorted code-point offset in `inserted` where each generated token begins;
            token i spans [token_starts[i], token_starts[i+1]), the last one to the end.
        entropies: entropy (nats) of each generated token, parallel to `token_starts`.
        threshold: mean entropy above which any hit needs review.
        rules: the rule set; `RuleSet.default()` when None.
        replace: how many code points after `offset` the completion replaces.

    Returns:
        Flags sorted by position, spans relative to `inserted` and clipped to it; no duplicates.
    """
    if len(token_starts) != len(entropies):
        raise ValueError("token_starts and entropies must have the same length")
    rule_set = RuleSet.default() if rules is None else rules
    if not inserted or language not in rule_set.languages:
        return []
    offset = max(0, min(offset, len(document)))
    # The document is parsed once for all the candidates of a request, each incrementally.
    lo = char_to_byte(document, offset)
    end = char_to_byte(document, offset + max(0, replace))
    added = encode(inserted)
    tree, data = parse_with_insert(language, encode(document), lo, end, added)
    hi = lo + len(added)
    flags: dict[tuple[int, int, str], ReviewFlag] = {}
    for rule, start_byte, end_byte in rule_set.resolved_hits(tree.root_node, language, lo, hi):
        if start_byte >= hi or end_byte <= lo:
            continue  # the query cursor may return neighbours of the range
        start = byte_to_char(data, max(start_byte, lo)) - offset
        end = byte_to_char(data, min(end_byte, hi)) - offset
        mean, peak = _token_entropy(start, end, token_starts, entropies, len(inserted))
        review = rule.always_review or mean > threshold
        flag = ReviewFlag(rule.id, rule.cwe, rule.message, start, end, mean, peak, review)
        flags[(start, end, rule.id)] = flag
    return [flags[key] for key in sorted(flags)]
