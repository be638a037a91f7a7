"""JavaScript and TypeScript calls rewritten as the rules should see them: module aliases resolved.

The sensitive-API queries (grammars/queries/ecma/sensitive.scm) match a callee by its text:
`child_process.exec(...)`, `vm.runInNewContext(...)`, `fs.rmSync(...)`. Node code reaches the
same functions under names of its own choosing:

    const proc = require('child_process');          proc.exec(cmd)
    const { exec: run } = require('node:child_process');   run(cmd)
    const ex = require('child_process').exec;       ex(cmd)
    import * as sandbox from 'vm';                  sandbox.runInNewContext(code)
    import { rmSync } from 'fs';                    rmSync(path)
    import cp = require('child_process');           cp.exec(cmd)        (TypeScript)
    const { exec } = await import('child_process');    exec(cmd)

For each call in the edited range whose callee starts with such a name, this module writes the
call with the module's own name (`proc.exec(cmd)` -> `child_process.exec(cmd)`); the caller runs
the same queries on that text and reports hits on the original call's span (see
``RuleSet.resolved_hits``).

Bindings are read from the visible text only (declarations and imports above the call, in any
scope); a function parameter of the same name between the binding and the call hides it. A
name assigned something else later is rare enough in Node code to ignore. Nothing is executed
or imported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

import tree_sitter

from grammars import get_language

_CALLS = "(call_expression function: (_) @callee arguments: (arguments) @args) @call"
_BINDINGS = """
(variable_declarator name: (_) @name value: (_) @value) @binding
(import_statement source: (string) @source) @import
"""
_FUNCTIONS = frozenset(
    "function_declaration function_expression function arrow_function method_definition "
    "generator_function_declaration generator_function".split()
)
# Parts of a parameter list that hold values or types, not the names it binds.
_NOT_BOUND = frozenset({"right", "value", "type"})
# How the rules spell a module: its name, without the `node:` scheme, `/` as a dot.
_MODULE = re.compile(r"^(?:node:)?([A-Za-z_$][\w$]*(?:/[A-Za-z_$][\w$]*)*)$")


@cache
def _query(language: str, source: str) -> tree_sitter.Query:
    return tree_sitter.Query(get_language(language), source)


def _text(node: tree_sitter.Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def _module(string: tree_sitter.Node | None) -> str | None:
    """The dotted name the rules use for the module a string literal names, or None."""
    if string is None or string.type != "string":
        return None
    m = _MODULE.match(_text(string)[1:-1])
    return m.group(1).replace("/", ".") if m else None


def _required(node: tree_sitter.Node | None) -> str | None:
    """The module of ``require('m')`` or ``await import('m')`` (``require('m').a.b`` as
    ``m.a.b``), else None."""
    if node is None:
        return None
    if node.type == "await_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    if node.type == "member_expression":
        base = _required(node.child_by_field_name("object"))
        prop = node.child_by_field_name("property")
        return f"{base}.{_text(prop)}" if base and prop is not None else None
    loader = node.child_by_field_name("function") if node.type == "call_expression" else None
    if loader is None or not (loader.type == "import" or _text(loader) == "require"):
        return None
    args = node.child_by_field_name("arguments")
    first = args.named_children[0] if args is not None and args.named_children else None
    return _module(first)


def _declared(name: tree_sitter.Node, path: str) -> Iterator[tuple[str, str]]:
    """(local name, dotted path) for ``const <name> = <path>``: a plain name or a destructuring
    pattern (`{ exec }`, `{ exec: run }`)."""
    if name.type == "identifier":
        yield _text(name), path
    elif name.type == "object_pattern":
        for part in name.named_children:
            if part.type == "shorthand_property_identifier_pattern":
                yield _text(part), f"{path}.{_text(part)}"
            elif part.type == "pair_pattern":
                key, value = part.child_by_field_name("key"), part.child_by_field_name("value")
                if value is not None and value.type == "identifier":
                    yield _text(value), f"{path}.{_text(key)}"


def _imported(statement: tree_sitter.Node, module: str) -> Iterator[tuple[str, str]]:
    """(local name, dotted path) for each name an import statement binds."""
    for clause in statement.named_children:
        if clause.type == "import_require_clause":  # TypeScript: import cp = require('m')
            ident = next((c for c in clause.named_children if c.type == "identifier"), None)
            if ident is not None:
                yield _text(ident), module
        if clause.type != "import_clause":
            continue
        for part in clause.named_children:
            if part.type == "identifier":  # default import: the module's export object
                yield _text(part), module
            elif part.type == "namespace_import":
                for ident in part.named_children:
                    yield _text(ident), module
            elif part.type == "named_imports":
                for spec in part.named_children:
                    name, alias = (
                        spec.child_by_field_name("name"),
                        spec.child_by_field_name("alias"),
                    )
                    if name is not None:
                        yield _text(alias or name), f"{module}.{_text(name)}"


def _bound(node: tree_sitter.Node) -> Iterator[str]:
    """The names a parameter list (or a lone arrow-function parameter) binds."""
    if node.type in ("identifier", "shorthand_property_identifier_pattern"):
        yield _text(node)
        return
    for i, child in enumerate(node.children):
        if node.field_name_for_child(i) not in _NOT_BOUND:
            yield from _bound(child)


def _hidden(call: tree_sitter.Node, name: str, bound_at: int) -> bool:
    """Whether a function around ``call`` that starts after ``bound_at`` has a parameter
    ``name`` (which then means something else there)."""
    node = call.parent
    while node is not None and node.start_byte > bound_at:
        if node.type in _FUNCTIONS:
            params = node.child_by_field_name("parameters") or node.child_by_field_name("parameter")
            if params is not None and name in set(_bound(params)):
                return True
        node = node.parent
    return False


def _head(callee: tree_sitter.Node) -> tree_sitter.Node:
    """The leftmost name of a callee: `a` in `a.b.c`."""
    while callee.type == "member_expression":
        obj = callee.child_by_field_name("object")
        if obj is None:
            break
        callee = obj
    return callee


def rewrites(
    root: tree_sitter.Node, lo: int, hi: int, language: str = "javascript"
) -> Iterator[tuple[int, int, bytes]]:
    """(start_byte, end_byte, source) for each call overlapping [lo, hi) whose callee starts with
    a name bound to a module (or a module's member); the source is that call alone."""
    calls = tree_sitter.QueryCursor(_query(language, _CALLS))
    calls.set_byte_range(lo, hi)
    found = [
        (cap["call"][0], cap["callee"][0], cap["args"][0])
        for _, cap in calls.matches(root)
        if cap["call"][0].start_byte < hi and cap["call"][0].end_byte > lo
    ]
    if not found:
        return
    cursor = tree_sitter.QueryCursor(_query(language, _BINDINGS))
    cursor.set_byte_range(0, hi)  # bindings above the range count, nothing after it does
    bindings: dict[str, list[tuple[int, str]]] = {}
    for _, cap in cursor.matches(root):
        if "binding" in cap:
            if (path := _required(cap["value"][0])) is not None:
                for local, full in _declared(cap["name"][0], path):
                    bindings.setdefault(local, []).append((cap["binding"][0].start_byte, full))
        elif (module := _module(cap["source"][0])) is not None:
            for local, full in _imported(cap["import"][0], module):
                bindings.setdefault(local, []).append((cap["import"][0].start_byte, full))
    for call, callee, args in found:
        head = _head(callee)
        if head.type != "identifier":
            continue
        name = _text(head)
        seen = [(at, path) for at, path in bindings.get(name, ()) if at < call.start_byte]
        if not seen:
            continue
        at, path = max(seen)  # the latest binding above the call
        if _hidden(call, name, at):
            continue
        rest = (callee.text or b"")[len(head.text or b"") :].decode("utf-8", "replace")
        source = f"{path}{rest}{_text(args)}"
        if source != _text(call):
            yield call.start_byte, call.end_byte, source.encode()
