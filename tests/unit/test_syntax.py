"""Tests for syntax checks on real tree-sitter parses: error counts, edit deltas, block ends."""

from __future__ import annotations

import pytest

from grammars import (
    block_end,
    byte_to_char,
    char_to_byte,
    count_errors,
    encode,
    is_valid,
    syntax_delta,
)

CURSOR = "<|>"

# language -> (valid document with a cursor on an empty line, clean statement, broken statement)
STATEMENTS = {
    "python": ("def f(x):\n    y = x * 2\n<|>\n    return y\n", "    y += 1", "    y = foo(x,"),
    "javascript": (
        "function f(x) {\n  let y = x * 2;\n<|>\n  return y;\n}\n",
        "  y += 1;",
        "  y = foo(x,;",
    ),
    "typescript": (
        "function f(x: number): number {\n  let y: number = x * 2;\n<|>\n  return y;\n}\n",
        "  y += 1;",
        "  y = foo(x,;",
    ),
    "tsx": (
        "function V(x: number) {\n  const y = <b>{x}</b>;\n<|>\n  return y;\n}\n",
        "  const z = <i>{y}</i>;",
        "  const z = <i>{y</i>;",
    ),
    "go": (
        "package main\n\nfunc f(x int) int {\n\ty := x * 2\n<|>\n\treturn y\n}\n",
        "\ty += 1",
        "\ty = foo(x,",
    ),
    "rust": (
        "fn f(x: i32) -> i32 {\n    let mut y = x * 2;\n<|>\n    y\n}\n",
        "    y += 1;",
        "    y = (x,;",
    ),
    "java": (
        "class A {\n  int f(int x) {\n    int y = x * 2;\n<|>\n    return y;\n  }\n}\n",
        "    y += 1;",
        "    y = foo(x,;",
    ),
    "c": ("int f(int x) {\n  int y = x * 2;\n<|>\n  return y;\n}\n", "  y += 1;", "  y = foo(x,;"),
    "cpp": (
        "int f(int x) {\n  auto y = x * 2;\n<|>\n  return y;\n}\n",
        "  y += 1;",
        "  y = foo(x,;",
    ),
}

# language -> document ending in an unfinished expression, and the completion that finishes it
FINISHING = {
    "python": ("def f(x):\n    return x +<|>", " 1"),
    "javascript": ("function f(x) {\n  return x +<|>\n}\n", " 1;"),
    "typescript": ("function f(x: number): number {\n  return x *<|>\n}\n", " 2;"),
    "go": ("package main\n\nfunc f(x int) int {\n\treturn x +<|>\n}\n", " 1"),
    "rust": ("fn f(x: i32) -> i32 {\n    x +<|>\n}\n", " 1"),
    "java": ("class A {\n  int f(int x) {\n    return x +<|>\n  }\n}\n", " 1;"),
    "c": ("int f(int x) {\n  return x +<|>\n}\n", " 1;"),
    "cpp": ("int f(int x) {\n  return x +<|>\n}\n", " 1;"),
}


def _split(document: str) -> tuple[str, int]:
    return document.replace(CURSOR, ""), document.index(CURSOR)


@pytest.mark.parametrize("language", sorted(STATEMENTS))
def test_clean_statement_has_no_delta_and_broken_one_is_positive(language: str) -> None:
    document, offset = _split(STATEMENTS[language][0])
    clean, broken = STATEMENTS[language][1:]
    assert count_errors(document, language) == 0
    assert syntax_delta(document, offset, clean, language) <= 0
    assert syntax_delta(document, offset, broken, language) > 0
    assert count_errors(document[:offset] + broken + document[offset:], language) > 0


@pytest.mark.parametrize("language", sorted(FINISHING))
def test_finishing_an_expression_gives_a_negative_delta(language: str) -> None:
    document, offset = _split(FINISHING[language][0])
    assert count_errors(document, language) > 0
    assert syntax_delta(document, offset, FINISHING[language][1], language) < 0


def test_unclosed_call_into_clean_line_is_positive() -> None:
    document = "x = 1\ny = 2\nz = 3\n"
    assert syntax_delta(document, document.index("y"), "foo(", "python") > 0


def test_replace_counts_the_replaced_text_as_gone() -> None:
    document = "def f(x):\n    return x + )\n"
    offset = document.rindex(")")
    assert syntax_delta(document, offset, "1", "python", replace=1) < 0
    assert syntax_delta(document, offset, "1", "python") >= 0


def test_errors_outside_the_edited_region_do_not_count() -> None:
    document = "def broken(:\n    pass\n\n\n\nx = 1\ny = 2\n"
    offset = document.index("y = 2")
    assert count_errors(document, "python") > 0
    assert count_errors(document, "python", offset, len(document)) == 0
    assert syntax_delta(document, offset, "z = 3\n", "python") == 0
    assert syntax_delta(document, offset, "z = (\n", "python") > 0


def test_context_lines_zero_is_the_edited_lines_only() -> None:
    # Go reports the missing `)` on the next line's tokens, so only context catches it.
    document, offset = _split(STATEMENTS["go"][0])
    broken = STATEMENTS["go"][2]
    assert syntax_delta(document, offset, broken, "go", context_lines=0) == 0
    assert syntax_delta(document, offset, broken, "go") > 0


def test_count_errors_range_and_missing_nodes() -> None:
    document = "a = 1\nb = (2\nc = 3\n"
    assert count_errors(document, "python") >= 1
    assert count_errors(document, "python", 0, document.index("\n")) == 0
    assert count_errors("int main() { return 0 }", "c") == 1  # one MISSING ";"


def test_is_valid() -> None:
    assert is_valid("fn main() {}", "rust")
    assert not is_valid("fn main() {", "rust")


def test_non_ascii_offsets() -> None:
    document = "s = 'héllo 😀 wörld'\nt = (1,\n"
    second_line = document.index("t")
    assert len(encode(document[:second_line])) > second_line  # bytes and chars differ here
    assert count_errors(document, "python", 0, second_line - 1) == 0
    assert count_errors(document, "python", second_line, len(document)) >= 1
    completion = "u = 'ünïcode ✓'\n"
    assert syntax_delta(document, second_line, completion, "python") == 0
    emoji_end = document.index("😀") + 1
    assert syntax_delta(document, emoji_end, "'", "python") > 0


def test_offset_conversion_round_trips() -> None:
    text = "aé😀\ud800b"  # 1, 2, 4 and (lone surrogate) 3 bytes
    data = encode(text)
    assert [char_to_byte(text, i) for i in range(len(text) + 1)] == [0, 1, 3, 7, 10, 11]
    assert [byte_to_char(data, b) for b in (0, 1, 3, 7, 10, 11)] == list(range(6))
    assert byte_to_char(data, 2) == 1  # inside "é": the start of that character
    assert char_to_byte(text, 99) == len(data)


# --- block_end ---------------------------------------------------------------------------


def _block(document: str, inserted: str, language: str) -> str | None:
    text, offset = _split(document)
    end = block_end(text, offset, inserted, language)
    return None if end is None else inserted[:end]


def test_python_block_after_a_header_ends_at_the_dedent() -> None:
    inserted = "\n    y = x + 1\n\n    return y\n\nprint(f(2))\n"
    assert _block("def f(x):<|>", inserted, "python") == "\n    y = x + 1\n\n    return y"


def test_python_block_header_written_by_the_completion() -> None:
    inserted = "if x:\n        a()\n    else:\n        b()\n"
    assert _block("def f(x):\n    <|>", inserted, "python") == "if x:\n        a()"


def test_python_enclosing_block_ends_at_a_lesser_indent() -> None:
    inserted = "\n    z = 3\n    return z\nprint(1)"
    assert _block("def f():\n    y = 2<|>", inserted, "python") == "\n    z = 3\n    return z"


def test_python_brackets_strings_and_comments_are_not_dedents() -> None:
    inserted = ' [\n1,\n"""\nnot code\n""",  # ]\n]\n    done()\nafter()'
    expected = ' [\n1,\n"""\nnot code\n""",  # ]\n]\n    done()'
    assert _block("def f():\n    x =<|>", inserted, "python") == expected


def test_python_block_that_does_not_end_is_none() -> None:
    assert _block("def f():\n    x = 1<|>", "\n    y = 2\n", "python") is None
    assert _block("x = 1<|>", "\ny = 2", "python") is None
    assert _block("def f():\n    x = <|>", "1", "python") is None


def test_brace_block_ends_after_its_closing_brace() -> None:
    inserted = '\n  const s = "}";  // }\n  return s;\n}\n\nfoo();\n'
    expected = '\n  const s = "}";  // }\n  return s;\n}'
    assert _block("function f(x) {<|>", inserted, "javascript") == expected


def test_brace_block_opened_by_the_completion_on_the_cursor_line() -> None:
    inserted = "if (x) {\n    a();\n}\nb();\n}"
    assert _block("function f(x) {\n  <|>", inserted, "typescript") == "if (x) {\n    a();\n}"


def test_brace_enclosing_block_and_trailing_closers() -> None:
    inserted = "\n    run();\n  });\n  next();\n"
    assert _block("  items.forEach(() => {<|>", inserted, "javascript") == "\n    run();\n  });"
    assert _block("void f() {\n  g();<|>", "\n  h();\n}\nint x;", "c") == "\n  h();\n}"


def test_rust_lifetimes_and_char_literals_are_not_strings() -> None:
    inserted = "\n    let c = '}';\n    x\n}\nfn g() {}"
    document = "fn f<'a>(x: &'a str) -> &'a str {<|>"
    assert _block(document, inserted, "rust") == "\n    let c = '}';\n    x\n}"


def test_go_raw_strings_and_unfinished_blocks() -> None:
    inserted = "\n\ts := `}\n}`\n\treturn s\n}\n"
    assert _block("func f() string {<|>", inserted, "go") == "\n\ts := `}\n}`\n\treturn s\n}"
    assert _block("func f() string {<|>", "\n\treturn x", "go") is None
