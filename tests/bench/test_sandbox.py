"""The sandbox that runs generated code: limits, and no harm outside its temp dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.sandbox import Sandbox

SANDBOX = Sandbox(timeout=3)
# The audit hook on its own: what is left where user namespaces are not allowed.
HOOK_ONLY = Sandbox(timeout=3, isolate=False)


def hostile(victim: Path) -> str:
    """A candidate that tries the usual ways to destroy a file outside the sandbox."""
    return f"""
import os, shutil, pathlib, subprocess
v = {str(victim)!r}
for attempt in (
    lambda: os.remove(v),
    lambda: pathlib.Path(v).unlink(),
    lambda: shutil.rmtree(os.path.dirname(v)),
    lambda: open(v, "w").write("pwned"),
    lambda: os.rename(v, v + ".gone"),
    lambda: subprocess.run(["rm", "-f", v]),
    lambda: os.system("rm -f " + v),
):
    try:
        attempt()
    except Exception as e:
        print(type(e).__name__, e)
"""


def namespaces_or_skip() -> None:
    if SANDBOX.isolation != "namespaces":
        pytest.skip(f"no user namespaces on this machine (isolation: {SANDBOX.isolation})")


@pytest.mark.parametrize("sandbox", [SANDBOX, HOOK_ONLY], ids=["chosen", "audit-hook-only"])
def test_hostile_candidate_cannot_delete_a_file_outside(tmp_path: Path, sandbox: Sandbox) -> None:
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    result = sandbox.run(hostile(victim))
    assert result.status == "passed", result.output  # it ran to the end; every attempt failed
    assert victim.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious.txt"]


def test_read_only_mounts_hold_without_the_audit_hook(tmp_path: Path) -> None:
    """Raw syscalls through ctypes, with the hook off: the locked read-only mounts still hold."""
    namespaces_or_skip()
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    target = str(victim).encode()
    program = f"""
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)

class Attr(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in ("set", "clr", "propagation", "userns_fd")]

def errno_of(result):
    return 0 if result == 0 else ctypes.get_errno()

assert errno_of(libc.unlink({target!r})) == errno.EROFS
# Make / writable again: clear the read-only flag, remount, unmount. All refused.
attr = Attr(0, 1, 0, 0)
assert errno_of(libc.syscall(442, -100, b"/", 0x8000, ctypes.byref(attr), 32)) == errno.EPERM
assert errno_of(libc.mount(None, b"/", None, 32 | 4096, None)) == errno.EPERM
assert errno_of(libc.unlink({target!r})) == errno.EROFS
open("inside.txt", "w").write("the temp dir stays writable")
"""
    result = Sandbox(timeout=3, audit_hook=False).run(program)
    assert result.status == "passed", result.output
    assert victim.read_text() == "keep me"


def test_no_network_in_namespaces() -> None:
    namespaces_or_skip()
    # A fresh network namespace has a loopback device only, and it is down.
    program = """
import socket
assert [name for _, name in socket.if_nameindex()] == ["lo"], socket.if_nameindex()
try:
    socket.create_connection(("1.1.1.1", 80), timeout=1)
except OSError as e:
    print("refused", e)
else:
    raise SystemExit("connected")
"""
    result = Sandbox(timeout=3, audit_hook=False).run(program)
    assert result.status == "passed", result.output


def test_ordinary_programs_and_limits() -> None:
    assert SANDBOX.run("import math, hashlib\nassert math.gcd(12, 18) == 6\n").passed
    assert SANDBOX.run("assert 1 + 1 == 3\n").status == "failed"
    assert SANDBOX.run("while True:\n    pass\n").status == "timeout"
    big = SANDBOX.run("x = bytearray(4 << 30)\n")
    assert big.status == "failed" and "MemoryError" in big.output
    files = SANDBOX.run("open('out.txt', 'w').write('x')\nimport os\nprint(os.listdir('.'))\n")
    assert files.passed and "out.txt" in files.output
    assert SANDBOX.run(
        "import os\nassert os.environ == {} or set(os.environ) <= {'LC_CTYPE'}\n"
    ).passed
