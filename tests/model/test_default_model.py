"""The shipped default model completes ordinary Python (real behaviour, not just loading)."""

from __future__ import annotations

import json
import re
import sys

from completion import CompletionRequest, Mode, SamplingPolicy
from completion.engine import DEFAULT_MODEL_DIR
from grammars import is_valid
from ranking.suggest import suggest

POLICY = SamplingPolicy(n=4, temperature=0.4, include_greedy=True, max_new_tokens=32)


def complete(engine, text: str, offset: int | None = None, policy: SamplingPolicy = POLICY):
    offset = len(text) if offset is None else offset
    req = CompletionRequest(text, offset, "python", "t.py", policy)
    return suggest(engine, req).ranking


def test_shipped_model_is_complete_and_small() -> None:
    files = {p.name for p in DEFAULT_MODEL_DIR.iterdir()}
    assert {
        "model.bin",
        "tokenizer.json",
        "config.json",
        "MODEL_CARD.md",
        "entropy-complete.json",
    } <= files
    size = sum(p.stat().st_size for p in DEFAULT_MODEL_DIR.iterdir())
    assert size < 30e6
    meta = json.loads((DEFAULT_MODEL_DIR / "entropy-complete.json").read_text())
    assert meta["family"] == "starcoder" and meta["context_length"] >= 512


def test_import_completes_to_a_module_name(engine) -> None:
    """`import o` needs token healing: the prompt ends inside the token ` os`."""
    ranking = complete(engine, "import o")
    assert ranking.all_scored
    modules = set(sys.stdlib_module_names)
    best = "o" + ranking.all_scored[0].text.strip()
    assert best.split(".")[0] in modules, best


def test_for_header_completes_to_valid_line(engine) -> None:
    text = "def total(items):\n    result = 0\n    for "
    ranking = complete(engine, text)
    top = ranking.all_scored[0]
    line = "    for " + top.text
    assert top.features.syntax_ok, line
    assert is_valid(text + top.text + "\n        pass\n    return result\n", "python"), line


def test_init_assigns_attributes(engine) -> None:
    text = "class Point:\n    def __init__(self, x, y):\n        self.x = x\n        self."
    ranking = complete(engine, text)
    # A small model: it assigns an attribute from a parameter (not always the right one).
    assert re.fullmatch(r"\w+ = [xy]", ranking.all_scored[0].text), ranking.all_scored[0].text


def test_main_guard_is_completed_confidently(engine) -> None:
    ranking = complete(engine, "import sys\n\n\ndef main():\n    pass\n\n\nif __name__ == ")
    top = ranking.all_scored[0]
    assert top.text in ("'__main__':", '"__main__":'), top.text
    # Calibrated (confidence.json): well above the automatic threshold, so it is shown while
    # typing, and far above what the model gives a line it is guessing.
    guess = (
        complete(engine, "values = [3, 1, 2]\nprint(sorted(values, key=").all_scored[0].confidence
    )
    assert top.confidence > 0.3 > guess and top.features.syntax_ok


def test_second_import_completes_to_a_module(engine) -> None:
    ranking = complete(engine, "import os\nimport s")
    assert "s" + ranking.all_scored[0].text in sys.stdlib_module_names


def test_return_inside_function(engine) -> None:
    text = "def read_text(path):\n    with open(path) as f:\n        return f."
    ranking = complete(engine, text)
    assert any(s.text.startswith("read") for s in ranking.all_scored)


def test_suggestions_do_not_loop() -> None:
    """Under a run of imports the model likes to re-type the last one, or to repeat imports in
    a cycle (A B A B, also across blank lines): no suggestion repeats a line or a block of
    lines right away, nor starts with the line above it. Seeded: each run samples the same."""
    from completion import CT2Engine

    engine = CT2Engine(None, device="cpu", threads=1, repeatable=True)
    policy = SamplingPolicy(n=4, mode=Mode.BLOCK, max_new_tokens=48, seed=0)
    for text in ("import os\nimport sys\n", "from a import b\nimport sys\n", "import re\n"):
        for s in complete(engine, text, policy=policy).all_scored:
            lines = [text.splitlines()[-1]] + [ln for ln in s.text.splitlines() if ln.strip()]
            for k in (1, 2, 3, 4):
                for i in range(len(lines) - 2 * k + 1):
                    assert lines[i : i + k] != lines[i + k : i + 2 * k], (k, s.text)


def test_prefix_prompts_use_the_models_prefix_fit(tmp_path) -> None:
    """A model directory's fit for one prompt layout (confidence.prefix.json) is what prompts
    of that layout use; the model's own layout keeps confidence.json."""
    from completion import CT2Engine
    from ranking import ConfidenceModel

    for f in DEFAULT_MODEL_DIR.iterdir():
        (tmp_path / f.name).symlink_to(f)
    (tmp_path / "confidence.prefix.json").unlink(missing_ok=True)
    # A fit that is sure everything is right: seen only when the prefix prompts read it.
    ConfidenceModel(bias=30.0, weights={}, source="always").save(
        tmp_path / "confidence.prefix.json"
    )
    text = "def area(width, height):\n    return "
    prefix = CT2Engine(str(tmp_path), device="cpu", threads=1, prompt_format="prefix")
    own = CT2Engine(str(tmp_path), device="cpu", threads=1)
    assert complete(prefix, text).best_confidence > 1 - 1e-6
    assert complete(own, text).best_confidence < 0.99
