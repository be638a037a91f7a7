"""This implements workspace/executeCommand entropyComplete.accept: the client runs it after
inserting a suggestion; it logs the accept and marks flagged code for review."""

from __future__ import annotations

from typing import Any

from ranking import flag_record

from ..accepting import ACCEPT, parse_accepted
from ..state import EntropyServer


def register(server: EntropyServer) -> None:
    @server.command(ACCEPT)
    def accept(ls: EntropyServer, *args: Any) -> int:
        """Logs the accept; review-required flags become Warning diagnostics. Returns how many."""
        accepted = parse_accepted(args)
        ls.suggester.stats.accepts += 1
        event: dict[str, Any] = {
            "event": "accept",
            "id": accepted.id,
            "confidence": accepted.confidence,
            "flags": [flag_record(f, "rule", "cwe", "review_required") for f in accepted.flags],
            "review_required": any(f.review_required for f in accepted.flags),
        }
        if ls.telemetry.include_text:
            event["text"] = accepted.text
        ls.telemetry.write(event)
        doc = ls.docs.get(accepted.uri)
        if doc is None or not any(f.review_required for f in accepted.flags):
            return 0  # unflagged accepts publish nothing
        start = doc.offset_at(accepted.position)
        threshold = ls.suggester.options.review.entropy_threshold
        marks = ls.reviews.add(doc, start, accepted.flags, accepted.id, threshold)
        ls.publish_reviews(accepted.uri)
        return len(marks)
