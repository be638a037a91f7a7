"""Records the request-path tests build by hand: one shown suggestion with plain statistics."""

from __future__ import annotations

from typing import Any

from lsp_server.cache import Item


def item(text: str, **fields: Any) -> Item:
    """An ``Item`` showing ``text`` at offset 0, with confidence 0.5 and no flags; ``fields``
    override any of its fields."""
    values: dict[str, Any] = {
        "id": "id",
        "text": text,
        "full_text": text,
        "start": 0,
        "confidence": 0.5,
        "mean_entropy": 0.1,
        "max_entropy": 0.2,
        "mean_logprob": -0.1,
        "syntax_ok": True,
        "agreement": 1.0,
        "flags": (),
    }
    return Item(**(values | fields))
