"""Definitions in a source file (functions, classes, methods, module constants) with their
signature line and first docstring line, found by `queries/<language>/definitions.scm`; and a
Python file's imports. What the workspace index keeps for grounding."""

from __future__ import annotations

import re
from dataclasses import dataclass

import tree_sitter

from grammars.registry import get_parser, load_query

QUERY_KIND = "definitions"
KINDS = ("function", "class", "method", "constant")
SIGNATURE_CHARS = 200  # a signature longer than this is cut (with "...")
DOC_CHARS = 120
_CLASS_NODES = {"class_definition", "class_declaration", "class", "interface_declaration"}
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Definition:
    """One definition: ``line`` is 0-based; ``container`` the enclosing class ("" at top level);
    ``signature`` its header on one line (``def load(path, *, strict=False) -> Config:``);
    ``doc`` the first line of its docstring or doc comment ("" without one)."""

    name: str
    kind: str
    container: str
    line: int
    signature: str
    doc: str

    @property
    def cost(self) -> int:
        """Approximate bytes held (object, slots and strings), for the index's memory bound."""
        return 240 + len(self.name) + len(self.container) + len(self.signature) + len(self.doc)


@dataclass(frozen=True, slots=True, kw_only=True)
class Import:
    """One imported binding of a Python file: ``from .util import load as ld`` gives module
    ``util``, level 1, name ``load``, bound ``ld``; ``import a.b`` gives module ``a.b``, name
    "", bound ``a``."""

    module: str
    level: int
    name: str
    bound: str


def _text(node: tree_sitter.Node | None, source: bytes) -> str:
    # Slicing the source: ``node.text`` costs ~60 us a call on a tree parsed from a callback.
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace") if node else ""


def _one_line(text: str, limit: int) -> str:
    flat = _SPACE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


def _signature(node: tree_sitter.Node, source: bytes) -> str:
    body = node.child_by_field_name("body")
    end = body.start_byte if body is not None else node.end_byte
    # Python's header ends at its colon; a comment may sit between it and the body.
    colons = [c.end_byte for c in node.children if c.type == ":" and c.end_byte <= end]
    end = colons[-1] if colons else end
    head = source[node.start_byte : end].decode("utf-8", "replace")
    if body is None:  # an assignment or a type alias: its first line says enough
        head = head.split("\n", 1)[0]
    return _one_line(head.rstrip().rstrip("{").rstrip(), SIGNATURE_CHARS)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().strip("/*").strip()
        if line:
            return _one_line(line, DOC_CHARS)
    return ""


def _doc(node: tree_sitter.Node, source: bytes) -> str:
    """The first line of a Python docstring, else of a comment right above the definition."""
    body = node.child_by_field_name("body")
    if body is not None and body.type == "block" and body.named_child_count:
        first = body.named_children[0]
        if first.type == "expression_statement" and first.named_child_count:
            string = first.named_children[0]
            if string.type == "string":
                parts = [c for c in string.named_children if c.type == "string_content"]
                return _first_line(_text(parts[0], source) if parts else "")
    above = node.prev_named_sibling
    if node.parent is not None and node.parent.type == "export_statement":
        above = node.parent.prev_named_sibling
    if (
        above is not None
        and above.type == "comment"
        and above.end_point[0] + 1 >= node.start_point[0]
    ):
        return _first_line(_text(above, source))
    return ""


def _container(node: tree_sitter.Node, source: bytes) -> str:
    parent = node.parent
    while parent is not None:
        if parent.type in _CLASS_NODES:
            return _text(parent.child_by_field_name("name"), source)
        parent = parent.parent
    return ""


# Whole-line comments, blanked before a Python parse: tree-sitter's Python grammar takes time
# quadratic in a run of comment lines after a statement (5,000: ~2 s; 20,000: ~30 s), and
# nothing here reads Python comments. Spaces keep every byte offset and line where it was.
_PY_COMMENT_LINE = re.compile(rb"(?m)^[ \t]*#[^\n]*")


def parse(text: str, language: str) -> tuple[bytes, tree_sitter.Tree]:
    """The source bytes and tree of ``text``, for ``definitions`` and ``python_imports``
    (Python comment lines blanked: the returned bytes are what was parsed)."""
    source = text.encode("utf-8", "surrogatepass")
    if language == "python" and b"#" in source:
        source = _PY_COMMENT_LINE.sub(lambda m: b" " * len(m.group()), source)
    return source, get_parser(language).parse(source)


def definitions(
    text: str, language: str, parsed: tuple[bytes, tree_sitter.Tree] | None = None
) -> list[Definition]:
    """The definitions of ``text`` in file order; [] for a language without a query.

    Args:
        text: the file's source.
        language: a registered grammar name (``grammars.LANGUAGES``).
        parsed: ``parse(text, language)`` when the caller has it already.
    """
    query = load_query(language, QUERY_KIND)
    if query is None:
        return []
    source, tree = parsed or parse(text, language)
    out: list[Definition] = []
    seen: set[tuple[int, str]] = set()
    for _, captures in tree_sitter.QueryCursor(query).matches(tree.root_node):
        names = captures.get("name", [])
        for capture, nodes in captures.items():
            kind = capture.removeprefix("definition.")
            if kind not in KINDS or not names:
                continue
            for node in nodes:
                name = _text(names[0], source)
                key = (node.start_byte, name)
                if key in seen:
                    continue
                seen.add(key)
                out.append(
                    Definition(
                        name=name,
                        kind=kind,
                        container=_container(node, source) if kind != "function" else "",
                        line=node.start_point[0],
                        signature=_signature(node, source),
                        doc=_doc(node, source),
                    )
                )
    out.sort(key=lambda d: d.line)
    return out


def _dotted(node: tree_sitter.Node, source: bytes) -> tuple[str, int]:
    """(module, level) of a dotted_name or relative_import node."""
    if node.type != "relative_import":
        return _text(node, source), 0
    prefix = next((c for c in node.children if c.type == "import_prefix"), None)
    name = next((c for c in node.named_children if c.type == "dotted_name"), None)
    return _text(name, source), len(_text(prefix, source))


# Statements that may hold an import; expressions are never entered (most of a tree's nodes).
_HOLDS_STATEMENTS = {
    "module", "block", "if_statement", "elif_clause", "else_clause", "try_statement",
    "except_clause", "finally_clause", "with_statement", "for_statement", "while_statement",
    "function_definition", "class_definition", "decorated_definition", "ERROR",
}  # fmt: skip


def python_imports(text: str, parsed: tuple[bytes, tree_sitter.Tree] | None = None) -> list[Import]:
    """Every ``import`` / ``from ... import`` binding of a Python file, in file order (those
    inside functions and ``try`` blocks too); a broken statement gives what parsed."""
    source, tree = parsed or parse(text, "python")
    out: list[Import] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "import_statement":
            for item in node.named_children:
                target = item.child_by_field_name("name") if item.type == "aliased_import" else item
                alias = item.child_by_field_name("alias") if item.type == "aliased_import" else None
                module = _text(target, source)
                bound = _text(alias, source) or module.split(".", 1)[0]
                out.append(Import(module=module, level=0, name="", bound=bound))
        elif node.type == "import_from_statement":
            from_node = node.child_by_field_name("module_name")
            module, level = _dotted(from_node, source) if from_node is not None else ("", 0)
            for item in node.children_by_field_name("name"):
                target = item.child_by_field_name("name") if item.type == "aliased_import" else item
                alias = item.child_by_field_name("alias") if item.type == "aliased_import" else None
                name = _text(target, source)
                out.append(
                    Import(
                        module=module, level=level, name=name, bound=_text(alias, source) or name
                    )
                )
        elif node.type in _HOLDS_STATEMENTS:
            stack.extend(reversed(node.named_children))
    return out
