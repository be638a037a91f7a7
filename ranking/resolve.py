"""Python calls rewritten as the rules should see them: aliases resolved, local values inlined.

The sensitive-API queries match a callee by its text (`subprocess.run`) and arguments by their
shape (`shell=True`, an f-string as SQL). Code reaches the same call in other words:
`import subprocess as sp`, `from os import system as s`, `getattr(os, "system")`,
`__import__("os").system`, SQL text built on an earlier line, `**{"verify": False}`. For each
call in the edited range this module writes the call as the queries expect it, e.g.
`s(cmd)` -> `os.system(cmd)`, `cur.execute(q)` -> `cur.execute(f"... {uid}")`; the caller runs
the queries on that text and reports hits on the original call's span.

Bindings are read from the visible text only (imports anywhere above the call, simple
assignments in the call's own scope); nothing is executed or imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache

import tree_sitter

from grammars import get_language, get_parser

_CALLS = "(call) @call"
_VALUE_TYPES = frozenset(
    "string concatenated_string binary_operator call true false none integer dictionary".split()
)
_SCOPES = frozenset({"function_definition", "lambda", "class_definition", "module"})
# Statements whose bodies belong to the same scope (nested defs and classes do not).
_CONTAINERS = frozenset(
    "expression_statement block if_statement elif_clause else_clause for_statement "
    "while_statement try_statement except_clause finally_clause with_statement "
    "match_statement case_clause".split()
)
_IMPORTERS = frozenset({"__import__", "importlib.import_module"})


@cache
def _calls() -> tree_sitter.Query:
    return tree_sitter.Query(get_language("python"), _CALLS)


def _text(node: tree_sitter.Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def _scopes(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The scopes a node sits in, innermost first (the module last)."""
    chain, parent = [], node.parent
    while parent is not None:
        if parent.type in _SCOPES:
            chain.append(parent)
        parent = parent.parent
    return chain


def _statements(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """Imports and assignments directly in a scope's body, in order, not in nested scopes."""
    for child in node.named_children:
        if child.type in ("import_statement", "import_from_statement", "assignment"):
            yield child
        elif child.type == "augmented_assignment":
            yield child
        elif child.type in _CONTAINERS:
            yield from _statements(child)


class _Bindings:
    """Names bound in the scopes that the calls sit in, each with the byte where it starts.

    Only those scopes are read (not every function in the visible text): this runs on every
    suggestion.
    """

    def __init__(self) -> None:
        self.paths: dict[str, list[tuple[int, str]]] = {}  # name -> dotted path (imports, aliases)
        self.values: dict[str, list[tuple[int, int, str]]] = {}  # name -> (start, scope, text)
        self._loaded: set[int] = set()

    def load(self, scope: tree_sitter.Node) -> None:
        if scope.id in self._loaded:
            return
        self._loaded.add(scope.id)
        body = scope if scope.type == "module" else scope.child_by_field_name("body")
        for statement in _statements(body) if body is not None else ():
            if statement.type.startswith("import"):
                self._import(statement)
                continue
            name, value = (statement.child_by_field_name(f) for f in ("left", "right"))
            if name is None or value is None or name.type != "identifier":
                continue
            key, start = _text(name), statement.start_byte
            if statement.type == "augmented_assignment":
                previous = self.value(key, start, scope.id)
                if (
                    previous is not None
                    and _text(statement.child_by_field_name("operator")) == "+="
                ):
                    self._bind_value(key, start, scope.id, f"({previous}) + {_text(value)}")
                continue
            # `run = os.system`, `sp = __import__("subprocess")`; anything else unbinds.
            self.paths.setdefault(key, []).append((start, self.path_of(value, start) or ""))
            # A value we cannot follow unbinds the old one.
            text = _text(value) if value.type in _VALUE_TYPES else ""
            self._bind_value(key, start, scope.id, text)

    def _bind_value(self, name: str, start: int, scope: int, text: str) -> None:
        self.values.setdefault(name, []).append((start, scope, text))

    def _import(self, node: tree_sitter.Node) -> None:
        module = _text(node.child_by_field_name("module_name"))
        if node.type == "import_from_statement" and (not module or module.startswith(".")):
            return
        for name in node.children_by_field_name("name"):
            alias = None
            if name.type == "aliased_import":
                alias = _text(name.child_by_field_name("alias"))
                name = name.child_by_field_name("name") or name
            dotted = _text(name)
            if node.type == "import_from_statement":
                bound, path = alias or dotted, f"{module}.{dotted}"
            elif alias:
                bound, path = alias, dotted
            else:
                bound, path = dotted.split(".")[0], dotted.split(".")[0]
            self.paths.setdefault(bound, []).append((node.start_byte, path))

    def path(self, name: str, before: int) -> str:
        if name == "__builtins__":
            return "builtins"
        bound = max((b for b in self.paths.get(name, ()) if b[0] < before), default=None)
        return bound[1] if bound and bound[1] else name  # unbound: a builtin or a global

    def value(self, name: str, before: int, scope: int) -> str | None:
        entries = self.values.get(name, ())
        bound = max((e for e in entries if e[0] < before and e[1] == scope), default=None)
        return bound[2] if bound and bound[2] else None

    def path_of(self, node: tree_sitter.Node, before: int) -> str | None:
        """The dotted path an expression names (`sp.run` -> `subprocess.run`), or None."""
        if node.type == "identifier":
            return self.path(_text(node), before)
        if node.type == "attribute":
            obj = self.path_of(node.child_by_field_name("object") or node, before)
            attr = _text(node.child_by_field_name("attribute"))
            return f"{obj}.{attr}" if obj and attr else None
        if node.type == "call":
            function = self.path_of(node.child_by_field_name("function") or node, before)
            args = node.child_by_field_name("arguments")
            positional = list(args.named_children) if args is not None else []
            if function in _IMPORTERS and len(positional) >= 1:
                return _literal(positional[0])
            if function in ("getattr", "builtins.getattr") and len(positional) == 2:
                target, name = self.path_of(positional[0], before), _literal(positional[1])
                return f"{target}.{name}" if target and name else None
        return None


def _literal(node: tree_sitter.Node) -> str | None:
    if node.type != "string":
        return None
    try:
        value = ast.literal_eval(_text(node))
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) and value.replace(".", "").isidentifier() else None


def _arguments(args: tree_sitter.Node, bindings: _Bindings, before: int, scope: int) -> list[str]:
    """Argument texts with local values inlined: `q` -> its SQL text, `**kw` -> `verify=False`."""
    out = []
    for arg in args.named_children:
        if arg.type == "identifier":
            out.append(bindings.value(_text(arg), before, scope) or _text(arg))
        elif arg.type == "keyword_argument" and (value := arg.child_by_field_name("value")):
            name = _text(arg.child_by_field_name("name"))
            local = None
            if value.type == "identifier":  # `verify=v` after `v = False`, `Loader=loader`
                local = bindings.value(_text(value), before, scope) or bindings.path_of(
                    value, before
                )
            out.append(f"{name}={local or _text(value)}")
        elif arg.type == "dictionary_splat" and arg.named_children:
            out.append(_splat(arg.named_children[0], bindings, before, scope))
        else:
            out.append(_text(arg))
    return out


def _splat(node: tree_sitter.Node, bindings: _Bindings, before: int, scope: int) -> str:
    """`**kw` as keyword arguments when kw is a literal dict or `dict(...)` in this scope."""
    original = f"**{_text(node)}"
    text = bindings.value(_text(node), before, scope) if node.type == "identifier" else None
    if text is None:
        return original
    parsed = get_parser("python").parse(text.encode()).root_node
    value = parsed.named_children[0].named_children[0] if parsed.named_children else None
    if value is not None and value.type == "dictionary":
        pairs = [p for p in value.named_children if p.type == "pair"]
        keys = [_literal(p.child_by_field_name("key") or p) for p in pairs]
        if pairs and all(keys):
            return ", ".join(
                f"{k}={_text(p.child_by_field_name('value'))}" for k, p in zip(keys, pairs)
            )
    if (
        value is not None
        and value.type == "call"
        and _text(value.child_by_field_name("function")) == "dict"
    ):
        args = value.child_by_field_name("arguments")
        return ", ".join(_text(a) for a in args.named_children) if args else original
    return original


def rewrites(root: tree_sitter.Node, lo: int, hi: int) -> Iterator[tuple[int, int, bytes]]:
    """(start_byte, end_byte, source) for each call overlapping [lo, hi) that reads differently
    once names are resolved and local values inlined; the source is that call alone."""
    cursor = tree_sitter.QueryCursor(_calls())
    cursor.set_byte_range(lo, hi)
    bindings = _Bindings()
    for _, captures in cursor.matches(root):
        for call in captures.get("call", ()):
            if call.start_byte >= hi or call.end_byte <= lo:
                continue
            function, args = (
                call.child_by_field_name("function"),
                call.child_by_field_name("arguments"),
            )
            if function is None or args is None or args.type != "argument_list":
                continue
            scopes = _scopes(call)
            for scope in reversed(scopes):
                bindings.load(scope)
            callee = bindings.path_of(function, call.start_byte) or _text(function)
            inlined = _arguments(args, bindings, call.start_byte, scopes[0].id if scopes else -1)
            source = f"{callee}({', '.join(inlined)})"
            if source != f"{_text(function)}({', '.join(_text(a) for a in args.named_children)})":
                yield call.start_byte, call.end_byte, source.encode()
