"""Runs `entropy-complete` for the CLI tests: in this process (``main(argv)`` with stdout and
stderr captured, the exit code from its return value or SystemExit), or as a subprocess.

In-process is what most tests use: a subprocess pays ~0.7 s of imports before the command
starts, and these tests started ~40 of them. The error paths and output are the same code;
``as_user`` runs the real console script for the tests that prove the entry point itself.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys

from lsp_server.cli import main


def cli(*args: str) -> subprocess.CompletedProcess:
    """``entropy-complete *args`` in this process; the result reads like a subprocess's."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as e:  # argparse's usage errors, --help; as the interpreter does:
            code = 0 if e.code is None else e.code if isinstance(e.code, int) else 1
            if not isinstance(e.code, int | None):
                print(e.code, file=sys.stderr)
    return subprocess.CompletedProcess(
        ["entropy-complete", *args], code, out.getvalue(), err.getvalue()
    )


def as_user(*args: str) -> subprocess.CompletedProcess:
    """``python -m lsp_server *args`` in a subprocess, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "lsp_server", *args], capture_output=True, text=True, timeout=120
    )
