"""This implements the review flow after acceptance: Warning diagnostics on flagged code, the
"Mark as reviewed" code action (textDocument/codeAction), and its entropyComplete.markReviewed
command."""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from ..state import EntropyServer

MARK_REVIEWED = "entropyComplete.markReviewed"


def register(server: EntropyServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(ls: EntropyServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        """ "Mark as reviewed" for each review mark in the requested range."""
        doc = ls.docs.get(params.text_document.uri)
        if doc is None:
            return []
        actions = []
        for mark in ls.reviews.overlapping(doc, params.range):
            diagnostic = mark.diagnostic(doc)
            actions.append(
                types.CodeAction(
                    title="Mark as reviewed",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    is_preferred=True,
                    command=types.Command(
                        title="Mark as reviewed",
                        command=MARK_REVIEWED,
                        arguments=[doc.uri, mark.id],
                    ),
                )
            )
        return actions

    @server.command(MARK_REVIEWED)
    def mark_reviewed(ls: EntropyServer, *args: Any) -> bool:
        """Clears one review diagnostic: arguments are the document URI and the mark id."""
        if len(args) != 2 or not all(isinstance(a, str) for a in args):
            raise JsonRpcInvalidParams(f"{MARK_REVIEWED} takes [uri, markId], got {list(args)!r}")
        uri, mark_id = args
        mark = ls.reviews.remove(uri, mark_id)
        if mark is None:
            return False
        ls.telemetry.write(
            {
                "event": "reviewed",
                "id": mark.suggestion,
                "rule": mark.flag.rule,
                "cwe": mark.flag.cwe,
            }
        )
        ls.publish_reviews(uri)
        return True
