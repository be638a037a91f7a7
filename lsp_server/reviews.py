"""Review marks: accepted code that calls a sensitive API while the model was unsure, kept as
offsets that follow the user's edits, and the diagnostics that show them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, fields, replace
from typing import Any

from lsprotocol import types

from ranking import flag_record

from .documents import Document, Edit

SOURCE = "entropy-complete"


@dataclass(frozen=True, slots=True)
class AcceptedFlag:
    """A review flag as the accept command carries it: offsets inside the inserted text."""

    rule: str
    cwe: str
    message: str
    start: int
    end: int
    entropy: float
    review_required: bool

    def to_wire(self) -> dict[str, Any]:
        """The accept command's form: the flag's record with camelCase keys."""
        return {_WIRE.get(k, k): v for k, v in flag_record(self).items()}


ACCEPTED_FIELDS = tuple(f.name for f in fields(AcceptedFlag))
_WIRE = {"review_required": "reviewRequired"}


@dataclass(frozen=True, slots=True)
class Mark:
    """One flagged span of a document, in str offsets of its current version."""

    id: str
    uri: str
    start: int
    end: int
    flag: AcceptedFlag
    suggestion: str  # the accepted suggestion's id
    uncertain: bool  # the span's entropy was above the review threshold

    def diagnostic(self, doc: Document) -> types.Diagnostic:
        f = self.flag
        lead = "uncertain " if self.uncertain else ""
        return types.Diagnostic(
            range=doc.range_of(self.start, self.end),
            message=f"{lead}{f.message} — review ({f.cwe}, entropy {f.entropy:.2f} nats)",
            severity=types.DiagnosticSeverity.Warning,
            code=f.rule,
            code_description=_cwe_link(f.cwe),
            source=SOURCE,
            data={"markId": self.id, "cwe": f.cwe, "suggestion": self.suggestion},
        )


def _cwe_link(cwe: str) -> types.CodeDescription | None:
    number = cwe.removeprefix("CWE-")
    if not number.isdigit():
        return None
    return types.CodeDescription(href=f"https://cwe.mitre.org/data/definitions/{number}.html")


class ReviewStore:
    """The marks of every document; publishing is left to the caller (it owns the connection)."""

    def __init__(self) -> None:
        self._marks: dict[str, list[Mark]] = {}
        self._ids = itertools.count(1)

    def add(
        self,
        doc: Document,
        start: int,
        flags: list[AcceptedFlag],
        suggestion: str,
        threshold: float,
    ) -> list[Mark]:
        """Marks the review-required flags of a suggestion accepted at ``start``."""
        added = [
            Mark(
                f"r{next(self._ids)}",
                doc.uri,
                start + f.start,
                start + f.end,
                f,
                suggestion,
                f.entropy > threshold,
            )
            for f in flags
            if f.review_required and 0 <= f.start < f.end
        ]
        self._marks.setdefault(doc.uri, []).extend(added)
        return added

    def remove(self, uri: str, mark_id: str) -> Mark | None:
        marks = self._marks.get(uri, [])
        for m in marks:
            if m.id == mark_id:
                marks.remove(m)
                return m
        return None

    def drop(self, uri: str) -> bool:
        return self._marks.pop(uri, None) is not None

    def moved(self, uri: str, edits: list[Edit]) -> bool:
        """Moves the document's marks along its edits; an edit over a mark's start or end
        removes it (the flagged code is gone). True if the document has marks."""
        marks = self._marks.get(uri)
        if not marks:
            return False
        for edit in edits:
            kept = []
            for m in marks:
                start, end = edit.moved_start(m.start), edit.moved_end(m.end)
                if start is not None and end is not None and start < end:
                    kept.append(replace(m, start=start, end=end))
            marks = kept
        self._marks[uri] = marks
        return True

    def diagnostics(self, doc: Document) -> list[types.Diagnostic]:
        return [m.diagnostic(doc) for m in self._marks.get(doc.uri, ())]

    def overlapping(self, doc: Document, rng: types.Range) -> list[Mark]:
        lo, hi = doc.offset_at(rng.start), doc.offset_at(rng.end)
        return [m for m in self._marks.get(doc.uri, ()) if m.start <= hi and m.end >= lo]
