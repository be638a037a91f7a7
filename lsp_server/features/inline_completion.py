"""This implements textDocument/inlineCompletion (LSP 3.18): the ranked suggestions as ghost text,
the entropyComplete/abstained notification when an automatic request shows nothing, and for
clients that ask for it, entropyComplete/shown with the shown items' confidence and flags."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from ..accepting import accept_command, flags_wire
from ..cache import Answer
from ..generation import Trigger
from ..state import EntropyServer


def inline_items(ls: EntropyServer, answer: Answer) -> list[types.InlineCompletionItem]:
    """Items that insert at the cursor (suffix overlap was already trimmed from their text)."""
    doc = ls.docs.get(answer.uri)
    if doc is None or doc.version != answer.version:
        return []
    return [
        types.InlineCompletionItem(
            insert_text=item.text,
            range=doc.range_of(answer.offset, answer.offset),
            command=accept_command(doc, item),
        )
        for item in answer.items
    ]


ABSTAINED = "entropyComplete/abstained"


def abstained_params(answer: Answer, position: types.Position) -> dict[str, Any]:
    """Why an automatic request got no suggestion: the model's best confidence was under the
    threshold (``bestConfidence`` 0: it produced no usable candidate)."""
    return {
        "uri": answer.uri,
        "version": answer.version,
        "position": {"line": position.line, "character": position.character},
        "bestConfidence": round(answer.best_confidence, 4),
        "abstainBelow": answer.abstain_below,
        # "language": the model does not know this file's language (bestConfidence is 0).
        "reason": answer.reason or "confidence",
    }


SHOWN = "entropyComplete/shown"


def wants_shown(ls: EntropyServer) -> bool:
    """The client declared ``experimental.entropyComplete.shown: true`` at initialize: it has
    no other way to know an item's confidence (Neovim's inline completion keeps the items to
    itself; VS Code reads the accept command's argument instead)."""
    experimental = ls.client_capabilities.experimental
    ours = experimental.get("entropyComplete") if isinstance(experimental, dict) else None
    return isinstance(ours, dict) and ours.get("shown") is True


def shown_params(answer: Answer, position: types.Position) -> dict[str, Any]:
    """The answered items in the order of the response: each one's calibrated confidence and
    review flags (the fields the accept command carries)."""
    return {
        "uri": answer.uri,
        "version": answer.version,
        "position": {"line": position.line, "character": position.character},
        "items": [
            {"confidence": round(item.confidence, 4), "flags": flags_wire(item)}
            for item in answer.items
        ],
    }


def register(server: EntropyServer) -> None:
    # pygls 2.1 advertises inlineCompletionProvider only when given options.
    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: EntropyServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList | None:
        """Automatic triggers get the cautious policy (and may abstain); invoked ones more choice."""
        invoked = params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
        trigger = Trigger.INVOKED if invoked else Trigger.AUTOMATIC
        if trigger is Trigger.AUTOMATIC:
            ls.warmer.asked(params.text_document.uri, params.position.line)
        answer = await ls.speculator.answer(
            params.text_document.uri, params.position, trigger, typing_through=True
        )
        if answer is None:
            return None
        if answer.abstained and (trigger is Trigger.AUTOMATIC or answer.reason):
            # An empty answer looks like a broken extension; editors can say "held back" instead.
            ls.protocol.notify(ABSTAINED, abstained_params(answer, params.position))
        items = inline_items(ls, answer)
        if items and wants_shown(ls):
            ls.protocol.notify(SHOWN, shown_params(answer, params.position))
        return types.InlineCompletionList(items=items)
