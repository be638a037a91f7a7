"""`entropy-complete options`: the server's options with their defaults, or (``--schema``) as
editor settings, the source the VS Code extension's `contributes.configuration` is generated from."""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

from ..config import SECTION, Options, camel, to_wire

_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "options",
        help="print the server's options (defaults), or --schema for editor settings",
        description="Print the options the server reads from initializationOptions and "
        "workspace/didChangeConfiguration, with their defaults (camelCase JSON). --schema prints "
        "them as JSON-schema settings grouped like VS Code's contributes.configuration.",
    )
    p.add_argument("--schema", action="store_true", help="settings schema (entropyComplete.* keys)")
    p.set_defaults(func=run_options)


def run_options(args: argparse.Namespace) -> int:
    out: Any = settings_schema() if args.schema else to_wire(Options())
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


def _property(f: dataclasses.Field[Any], default: Any, order: int) -> dict[str, Any]:
    kind = _JSON_TYPES[type(default)]
    prop: dict[str, Any] = {"type": kind, "default": default}
    for key, value in f.metadata["schema"].items():
        prop[key] = list(value) if isinstance(value, tuple) else value
    prop["markdownDescription"] = f.metadata["doc"]
    prop["order"] = order
    return prop


def settings_schema(options: Options | None = None) -> list[dict[str, Any]]:
    """One category per option group (top-level options in "General"); keys are
    ``entropyComplete.<group>.<option>`` in camelCase, defaults from the dataclasses."""
    options = options or Options()
    general: dict[str, Any] = {}
    categories: list[dict[str, Any]] = []
    for f in dataclasses.fields(options):
        value = getattr(options, f.name)
        if dataclasses.is_dataclass(value):
            props = {
                f"{SECTION}.{camel(f.name)}.{camel(g.name)}": _property(
                    g, getattr(value, g.name), i
                )
                for i, g in enumerate(dataclasses.fields(value))
            }
            categories.append(
                {
                    "id": f"{SECTION}.{camel(f.name)}",
                    "title": f.metadata["doc"],
                    "properties": props,
                }
            )
        else:
            general[f"{SECTION}.{camel(f.name)}"] = _property(f, value, len(general))
    return [{"id": f"{SECTION}.general", "title": "General", "properties": general}, *categories]
