"""Prompt windows inside a token budget, cut at line boundaries, and token healing."""

from __future__ import annotations

from completion.prompt import build, prefix_window, suffix_window


def count(engine, s: str) -> int:
    return len(engine.tokenizer.encode(s, add_special_tokens=False).ids)


def test_prefix_window_fits_budget_and_starts_at_line(engine) -> None:
    text = "".join(f"value_{i} = compute({i}, {i * 2})\n" for i in range(400)) + "result = "
    window = prefix_window(engine.tokenizer, text, 100)
    assert count(engine, window) <= 100
    assert text.endswith(window)
    assert window.startswith("value_")  # a whole line, not a cut one
    assert window.endswith("result = ")
    assert count(engine, prefix_window(engine.tokenizer, text, 400)) > 300


def test_suffix_window_fits_budget_and_ends_at_line(engine) -> None:
    text = "".join(f"print(item_{i})\n" for i in range(300))
    window = suffix_window(engine.tokenizer, text, 50)
    assert count(engine, window) <= 50
    assert text.startswith(window) and window.endswith("\n")
    assert suffix_window(engine.tokenizer, text, 0) == ""


def test_whole_prompt_stays_in_budget(engine) -> None:
    text = "import os\n" * 2000 + "x = os.pa" + "\nprint(x)\n" * 2000
    offset = text.index("x = os.pa") + len("x = os.pa")
    p = build(engine.tokenizer, engine.vocab_text, engine.template, text, offset, 256)
    assert len(p.ids) <= 256
    assert p.fim and p.suffix.startswith("\nprint(x)")


def test_fim_layout_uses_the_family_markers(engine) -> None:
    text = "def f(x):\n    return x\n"
    p = build(engine.tokenizer, engine.vocab_text, engine.template, text, 10, 256, heal=False)
    tid = engine.tokenizer.token_to_id
    assert p.ids[0] == tid("<fim_prefix>") and p.ids[-1] == tid("<fim_middle>")
    assert tid("<fim_suffix>") in p.ids
    assert p.heal_text == ""


def test_suffix_first_layout_ends_with_the_prefix_and_heals_it(engine) -> None:
    from completion.fim import for_format

    spm = for_format(engine.template, "spm")
    text = "import o\nprint(x)\n"
    offset = len("import o")
    p = build(engine.tokenizer, engine.vocab_text, spm, text, offset, 256)
    psm = build(engine.tokenizer, engine.vocab_text, engine.template, text, offset, 256)
    tid = engine.tokenizer.token_to_id
    head = [tid("<fim_prefix>"), tid("<fim_suffix>")]
    assert list(p.ids[:2]) == head
    middle = p.ids.index(tid("<fim_middle>"))
    # suffix, then the middle marker, then the prefix (healed: ` o` is re-typed by the model)
    assert engine.tokenizer.decode(list(p.ids[2:middle])) == "\nprint(x)\n"
    assert engine.tokenizer.decode(list(p.ids[middle + 1 :])) == "import"
    assert p.heal_text == " o" and p.heal_text == psm.heal_text
    assert sorted(p.ids) == sorted(psm.ids)  # the same tokens, in another order


def test_token_healing_backs_off_mid_identifier(engine) -> None:
    """`import o`: the cursor sits inside a token (` os`); the prompt drops ` o` and the first
    generated token must start with it."""
    text = "import o"
    p = build(engine.tokenizer, engine.vocab_text, engine.template, text, len(text), 256)
    assert p.heal_text == " o"
    texts = [engine.vocab_text.text[i] for i in p.heal_ids]
    assert " os" in texts
    assert all(t.startswith(" o") or " o".startswith(t) for t in texts)
    unhealed = build(
        engine.tokenizer, engine.vocab_text, engine.template, text, len(text), 256, heal=False
    )
    assert len(p.ids) == len(unhealed.ids) - 1


def test_token_healing_after_indentation(engine) -> None:
    text = "def f(x):\n    "
    p = build(engine.tokenizer, engine.vocab_text, engine.template, text, len(text), 256)
    assert p.heal_text.strip() == "" and p.heal_text
    for i in p.heal_ids:
        t = engine.vocab_text.text[i]
        assert t.startswith(p.heal_text) or p.heal_text.startswith(t)
    allowed = [engine.vocab_text.text[i] for i in p.heal_ids]
    assert "   " in allowed  # the trained tokenization of 4-space indentation: 3 + " name"
    assert "       " not in allowed  # the user typed the indentation: no deeper indent


def test_no_healing_after_newline(engine) -> None:
    text = "x = 1\n"
    p = build(engine.tokenizer, engine.vocab_text, engine.template, text, len(text), 256)
    assert p.heal_text == ""
