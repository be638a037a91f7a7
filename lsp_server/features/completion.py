"""This implements textDocument/completion: the ranked suggestions as popup items, for clients
without inline completion; confidence and review warnings ride in labelDetails/detail/docs."""

from __future__ import annotations

from lsprotocol import types

from ..accepting import accept_command
from ..cache import Answer, Item
from ..documents import Document
from ..generation import Trigger
from ..state import EntropyServer

MAX_LABEL = 60


def label_of(text: str) -> str:
    """The first non-blank line, shortened; popups show one line per item."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), text.strip() or "⏎")
    more = "…" if len(line) > MAX_LABEL or text.strip() != line else ""
    return line[:MAX_LABEL] + more


def _warning(item: Item) -> str:
    flags = [f for f in item.flags if f.review_required]
    if not flags:
        return ""
    return "review: " + ", ".join(f"{f.message} ({f.cwe})" for f in flags)


def _documentation(item: Item, language: str, markdown: bool) -> types.MarkupContent:
    warning = _warning(item)
    stats = (
        f"confidence {item.confidence:.2f} · mean entropy {item.mean_entropy:.2f} nats "
        f"· max {item.max_entropy:.2f} · syntax {'ok' if item.syntax_ok else 'broken'}"
    )
    if markdown:
        body = f"```{language}\n{item.full_text}\n```\n\n{stats}"
        if warning:
            body += f"\n\n**⚠ {warning}**"
        return types.MarkupContent(types.MarkupKind.Markdown, body)
    body = f"{item.full_text}\n\n{stats}" + (f"\n\n⚠ {warning}" if warning else "")
    return types.MarkupContent(types.MarkupKind.PlainText, body)


def popup_items(
    doc: Document, answer: Answer, caps: types.CompletionClientCapabilities | None
) -> list[types.CompletionItem]:
    item_caps = caps.completion_item if caps else None
    markdown = bool(
        item_caps
        and item_caps.documentation_format
        and types.MarkupKind.Markdown in item_caps.documentation_format
    )
    label_details = bool(item_caps and item_caps.label_details_support)
    out = []
    for rank, item in enumerate(answer.items):
        warning = _warning(item)
        detail = f"entropy-complete {item.confidence:.0%}" + (f" ⚠ {warning}" if warning else "")
        rng = doc.range_of(answer.offset, answer.offset)
        out.append(
            types.CompletionItem(
                label=label_of(item.text),
                label_details=types.CompletionItemLabelDetails(
                    description=f"{item.confidence:.0%}" + (" ⚠ review" if warning else "")
                )
                if label_details
                else None,
                kind=types.CompletionItemKind.Text,
                detail=detail,
                documentation=_documentation(item, doc.language_id, markdown),
                sort_text=f"{rank:02d}",
                filter_text=item.text,
                preselect=rank == 0 or None,
                text_edit=types.TextEdit(range=rng, new_text=item.text),
                insert_text_format=types.InsertTextFormat.PlainText,
                command=accept_command(doc, item),
            )
        )
    return out


def register(server: EntropyServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(resolve_provider=False))
    async def completion(ls: EntropyServer, params: types.CompletionParams) -> types.CompletionList:
        """A trigger character counts as typing (automatic policy); anything else as asking."""
        typed = (
            params.context is not None
            and params.context.trigger_kind == types.CompletionTriggerKind.TriggerCharacter
        )
        uri = params.text_document.uri
        answer = await ls.suggester.answer(
            uri,
            params.position,
            Trigger.AUTOMATIC if typed else Trigger.INVOKED,
            typing_through=False,
        )
        doc = ls.docs.get(uri)
        if answer is None or doc is None or doc.version != answer.version:
            return types.CompletionList(is_incomplete=False, items=[])
        caps = ls.client_capabilities.text_document
        items = popup_items(doc, answer, caps.completion if caps else None)
        return types.CompletionList(is_incomplete=False, items=items)
