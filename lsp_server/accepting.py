"""The entropyComplete.accept command's wire format: what a completion item carries, and how the
command's argument is checked when the client sends it back after inserting the suggestion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from ranking import flag_record

from .cache import Item
from .documents import Document
from .reviews import ACCEPTED_FIELDS, AcceptedFlag

ACCEPT = "entropyComplete.accept"


@dataclass(frozen=True, slots=True)
class Accepted:
    """What the accept command's single argument says about the inserted suggestion."""

    uri: str
    id: str
    position: types.Position  # where ``text`` begins in the document
    text: str
    confidence: float
    flags: list[AcceptedFlag]


def flags_wire(item: Item) -> list[dict[str, Any]]:
    """An item's review flags as the accept command (and entropyComplete/shown) send them."""
    return [AcceptedFlag(**flag_record(f, *ACCEPTED_FIELDS)).to_wire() for f in item.flags]


def accept_command(doc: Document, item: Item) -> types.Command:
    """The command an item carries; its argument holds the suggestion and its review flags."""
    pos = doc.position_at(item.start)
    argument = {
        "uri": doc.uri,
        "id": item.id,
        "position": {"line": pos.line, "character": pos.character},
        "text": item.full_text,
        "confidence": round(item.confidence, 4),
        "flags": flags_wire(item),
    }
    return types.Command(title="entropy-complete: accept", command=ACCEPT, arguments=[argument])


def _field(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = obj.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise JsonRpcInvalidParams(f"{ACCEPT}: '{where}{key}' is missing or has the wrong type")
    return value


def parse_accepted(args: tuple[Any, ...]) -> Accepted:
    """The accept command's argument, checked; InvalidParams names what is wrong."""
    if len(args) != 1 or not isinstance(args[0], dict):
        raise JsonRpcInvalidParams(f"{ACCEPT} takes one object argument")
    a = args[0]
    pos = _field(a, "position", dict, "")
    flags = []
    for i, f in enumerate(_field(a, "flags", list, "")):
        if not isinstance(f, dict):
            raise JsonRpcInvalidParams(f"{ACCEPT}: 'flags[{i}]' must be an object")
        at = f"flags[{i}]."
        flags.append(
            AcceptedFlag(
                rule=_field(f, "rule", str, at),
                cwe=_field(f, "cwe", str, at),
                message=_field(f, "message", str, at),
                start=_field(f, "start", int, at),
                end=_field(f, "end", int, at),
                entropy=float(_field(f, "entropy", (int, float), at)),
                review_required=_field(f, "reviewRequired", bool, at),
            )
        )
    return Accepted(
        uri=_field(a, "uri", str, ""),
        id=_field(a, "id", str, ""),
        position=types.Position(
            _field(pos, "line", int, "position."), _field(pos, "character", int, "position.")
        ),
        text=_field(a, "text", str, ""),
        confidence=float(_field(a, "confidence", (int, float), "")),
        flags=flags,
    )
