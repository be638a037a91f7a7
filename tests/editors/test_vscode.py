"""The VS Code extension in the real VS Code workbench (code-server, from npm) driven by Debian's
Chromium through playwright-core, installed from the .vsix `npm run package` builds, talking to
our server and the shipped model: ghost text typed and accepted with Tab; a held-back automatic
suggestion after a settings change; a shell=True suggestion flagged before accepting, its review
diagnostic after, and "Mark as reviewed" clearing it; a broken server reported once.
Screenshots: editors/vscode/e2e-output/."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VSCODE = ROOT / "editors" / "vscode"
DRIVER = Path(__file__).resolve().parent / "vscode_e2e.mjs"
SAMPLE = ROOT / "tests" / "data" / "lsp" / "shapes.py"
# The shipped model (8f50b119) completes `shell=` here with `True)`: subprocess with a shell
# (CWE-78). The file stops before the `=`, which the test types (an automatic request). A new
# shipped model may complete it otherwise: `entropy-complete complete FILE --line 6 --column 51
# -n 3 --temperature 0 --json` shows its suggestion and flags for a candidate prompt.
REVIEW = 'import subprocess\n\n\ndef run_shell(command):\n    """Run command through the shell."""\n    return subprocess.check_output(command, shell'
OUT = VSCODE / "e2e-output"
BIN = Path(sys.executable).parent  # the venv: entropy-complete, the server the extension runs
NODE = shutil.which("node")
NPM = shutil.which("npm")
CHROMIUM = os.environ.get("EC_CHROMIUM") or shutil.which("chromium")
# .ci/run installs code-server and exports CODE_SERVER; a code-server on PATH works too.
CODE_SERVER = os.environ.get("CODE_SERVER") or shutil.which("code-server")

pytestmark = [
    pytest.mark.editor,
    pytest.mark.skipif(NODE is None or NPM is None, reason="node/npm not installed (Node 20+)"),
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium not installed (apt-get install chromium)"
    ),
    pytest.mark.skipif(
        CODE_SERVER is None,
        reason="code-server not found: set CODE_SERVER (see .ci/run: npm install code-server@4.100.3)",
    ),
]


def _newer(target: Path, sources: list[Path]) -> bool:
    return target.exists() and all(target.stat().st_mtime >= s.stat().st_mtime for s in sources)


@pytest.fixture(scope="module")
def vsix() -> Path:
    """The packaged extension, rebuilt when its sources are newer (`npm run package`)."""
    assert NPM is not None
    target = VSCODE / "entropy-complete.vsix"
    if not (VSCODE / "node_modules").exists():
        subprocess.run([NPM, "ci", "--no-audit", "--no-fund"], cwd=VSCODE, check=True)
    sources = [VSCODE / "package.json", *sorted((VSCODE / "src").glob("*.ts"))]
    if not _newer(target, sources):
        subprocess.run([NPM, "run", "package"], cwd=VSCODE, check=True, capture_output=True)
    return target


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"code-server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"code-server did not answer at {url}")


def test_vscode_ghost_text_review_flag_and_mark_as_reviewed(tmp_path: Path, vsix: Path) -> None:
    assert NODE is not None and CHROMIUM is not None and CODE_SERVER is not None
    started = time.monotonic()
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VSCODE_", "ELECTRON_"))}
    env["HOME"] = str(tmp_path / "home")
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(tmp_path / name.lower())
    user_data, extensions = tmp_path / "user-data", tmp_path / "extensions"
    settings_file = user_data / "User" / "settings.json"
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text(
        json.dumps(
            {
                "entropyComplete.server.path": str(BIN / "entropy-complete"),
                # One CPU thread (the machine is small); near-greedy sampling, so the shipped
                # model's suggestions repeat from run to run; show everything at first.
                "entropyComplete.model.threads": 1,
                "entropyComplete.automatic.temperature": 0,
                "entropyComplete.invoked.temperature": 0,
                "entropyComplete.automatic.abstainBelow": 0,
                # Each file's suggestion from that file alone, not from the other open one.
                "entropyComplete.context.neighbouringTabs": False,
                "security.workspace.trust.enabled": False,
                "telemetry.telemetryLevel": "off",
                "workbench.startupEditor": "none",
                "workbench.tips.enabled": False,
                "extensions.autoCheckUpdates": False,
                "extensions.autoUpdate": False,
                "editor.inlineSuggest.enabled": True,
                # The word-based popup would take Tab from the ghost text.
                "editor.quickSuggestions": {"other": "off", "comments": "off", "strings": "off"},
                "editor.suggestOnTriggerCharacters": False,
                "editor.wordBasedSuggestions": "off",
                "editor.minimap.enabled": False,
                # Headless Chromium paints in software: a blinking cursor and animations
                # repaint all the time the test waits.
                "editor.cursorBlinking": "solid",
                "workbench.reduceMotion": "on",
                "editor.smoothScrolling": False,
                "editor.hover.delay": 300,
                "files.autoSave": "off",
            },
            indent=1,
        )
    )
    work = tmp_path / "project"
    work.mkdir()
    (work / ".git").mkdir()
    shapes = work / "shapes.py"
    # No final newline: Ctrl+End puts the cursor after `return`, where the test types a space.
    shapes.write_text(SAMPLE.read_text().rstrip("\n"))
    review = work / "run_shell.py"
    review.write_text(REVIEW)

    cs = [CODE_SERVER, "--user-data-dir", str(user_data), "--extensions-dir", str(extensions)]
    installed = subprocess.run(
        [*cs, "--install-extension", str(vsix)], env=env, capture_output=True, text=True
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    assert "entropy-complete" in installed.stdout + installed.stderr

    port = _free_port()
    config = tmp_path / "code-server.yaml"
    config.write_text(f"bind-addr: 127.0.0.1:{port}\nauth: none\ncert: false\n")
    log = (tmp_path / "code-server.log").open("wb")
    server = subprocess.Popen(
        [*cs, "--config", str(config), "--disable-telemetry", "--disable-update-check",
         "--disable-workspace-trust", "--disable-getting-started-override", str(work)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_http(f"http://127.0.0.1:{port}/healthz", server)
        driver = subprocess.run(
            [NODE, str(DRIVER)],
            env={
                **env,
                "EC_URL": f"http://127.0.0.1:{port}/?folder={work}",
                "EC_OUT": str(OUT),
                "EC_SETTINGS": str(settings_file),
                "EC_VSCODE_DIR": str(VSCODE),
                "EC_CHROMIUM": CHROMIUM,
                "EC_BROKEN_SERVER": shutil.which("false") or "/bin/false",
            },
            capture_output=True,
            text=True,
            timeout=400,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()
    result = json.loads((OUT / "result.json").read_text())
    print(f"VS Code e2e took {time.monotonic() - started:.0f} s; screenshots in {OUT}")
    assert result["ok"], (result, driver.stderr[-2000:])

    # 1. Our ghost text, accepted with Tab, is what the line holds (and what was saved).
    ghost = result["ghost"]
    assert ghost.strip(), "empty ghost text"
    assert result["after"] == result["before"] + ghost
    assert shapes.read_text().splitlines()[-1] == result["after"]
    # The accept command reached our server: its telemetry logged the shown item and the accept.
    events = _events(tmp_path)
    shown = {e["id"] for e in events if e["event"] == "shown"}
    accepted = [e["id"] for e in events if e["event"] == "accept"]
    assert accepted and accepted[0] in shown

    # 2. A setting changed in settings.json reached the running server: the automatic request
    # held back, and the status bar said why.
    assert "held back" in result["heldBack"] and "0.99" in result["heldBack"]
    assert result["ghostWhileHeldBack"] == ""

    # 3. Flagged before accepting, diagnostic after, cleared by "Mark as reviewed".
    assert result["flaggedGhost"].startswith("True")
    assert "review: py.subprocess-shell (CWE-78)" in result["flaggedStatus"]
    assert "review before accepting" in result["hover"]
    assert result["flaggedLine"].endswith("shell=" + result["flaggedGhost"])
    assert "CWE-78" in result["problems"] and "subprocess" in result["problems"]
    assert "py.subprocess-shell" in result["unreviewed"]
    assert review.read_text().splitlines()[-1] == result["flaggedLine"]
    reviewed = [e for e in _events(tmp_path) if e["event"] == "reviewed"]
    assert [e["rule"] for e in reviewed] == ["py.subprocess-shell"]

    # 4. A broken server: one notification with both buttons, no restart loop.
    toast = result["brokenToast"]
    assert "entropy-complete: the server" in toast, toast  # exited / failed to initialize
    assert "Open settings" in toast and "Show log" in toast
    assert result["brokenToasts"] == 1
    assert "not running" in result["brokenStatus"]
    for name in ("01-ghost-text", "05-flag-before-accept", "07-diagnostic", "10-reviewed"):
        assert (OUT / f"{name}.png").stat().st_size > 10_000, name


def _events(tmp_path: Path) -> list[dict]:
    path = tmp_path / "state" / "entropy-complete" / "telemetry.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]
