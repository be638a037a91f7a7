"""Runs untrusted generated code: a subprocess with limits, a fresh temp dir, no network, no writes.

Layers, outermost first (each is there because the ones inside it can be got around):

- ``unshare -rnm`` (when the kernel allows unprivileged user namespaces): no network at all, and
  every mount but the temp dir is read-only, locked by a nested user namespace
  (see ``sandbox_boot``). This is what keeps a hostile candidate from deleting your files.
- Resource limits where the OS allows: address space (memory), CPU seconds, file size, no core
  dumps; a wall-clock timeout that kills the whole process group.
- ``python -I -B`` with an empty environment, the temp dir as cwd, and an audit hook that
  refuses writes outside it, processes, sockets and ctypes.
- Without user namespaces and running as root, the child drops to ``nobody`` so that the usual
  file permissions protect the rest of the machine; otherwise only the audit hook remains, and
  ``isolation`` in the report says so.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

BOOT = Path(__file__).with_name("sandbox_boot.py")
ISOLATION_FAILED = 97
NOBODY = 65534


@dataclass(frozen=True, slots=True)
class Execution:
    """How one program ended: status is "passed", "failed", "timeout" or "error"."""

    status: str
    returncode: int | None
    output: str  # the tail of stdout and stderr, for debugging a task

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass(frozen=True)
class Sandbox:
    """Runs Python programs in isolation.

    Args:
        timeout: wall-clock seconds before the process group is killed.
        memory_mb: address-space limit (RLIMIT_AS).
        file_mb: largest file the program may write (RLIMIT_FSIZE).
        isolate: use ``unshare`` namespaces when they work ("auto"), always (True), never (False).
        audit_hook: install the audit hook (switched off only by tests of the layers below it).
    """

    timeout: float = 5.0
    memory_mb: int = 1024
    file_mb: int = 8
    isolate: bool | str = "auto"
    audit_hook: bool = True

    @cached_property
    def isolation(self) -> str:
        """What protects the machine: "namespaces", "nobody-user" or "audit-hook-only".

        Each is tried with a trivial program, strongest first; the first that runs is used.
        """
        if os.name != "posix":
            raise RuntimeError("running generated code safely needs Linux or macOS")
        if self.isolate is not False and shutil.which("unshare") and sys.platform == "linux":
            if self._run_once("pass\n", "namespaces").passed:
                return "namespaces"
            if self.isolate is True:
                raise RuntimeError("sandbox: unshare -rnm is not available on this machine")
        if os.geteuid() == 0 and self._run_once("pass\n", "nobody-user").passed:
            return "nobody-user"
        return "audit-hook-only"

    def run(self, program: str) -> Execution:
        """Runs ``program`` (Python source) and reports how it ended."""
        return self._run_once(program, self.isolation)

    def _limits(self, drop_to_nobody: bool):
        import resource  # POSIX only: imported here so the CLI still loads elsewhere

        cpu = int(self.timeout) + 1
        limits = (
            (resource.RLIMIT_AS, self.memory_mb << 20),
            (resource.RLIMIT_CPU, cpu),
            (resource.RLIMIT_FSIZE, self.file_mb << 20),
            (resource.RLIMIT_CORE, 0),
        )

        def apply() -> None:  # runs in the child between fork and exec: no imports here
            for which, value in limits:
                try:
                    resource.setrlimit(which, (value, value))
                except (ValueError, OSError):
                    pass  # e.g. macOS refuses RLIMIT_AS; the timeout still holds
            if drop_to_nobody:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)

        return apply

    def _run_once(self, program: str, mode: str) -> Execution:
        work = Path(tempfile.mkdtemp(prefix="ec-sandbox-"))
        try:
            (work / "program.py").write_text(program, encoding="utf-8")
            cmd = [sys.executable, "-I", "-B", str(BOOT), str(work), str(work / "program.py")]
            if not self.audit_hook:
                cmd.append("--no-audit-hook")
            if mode == "namespaces":
                cmd = ["unshare", "-rnm", *cmd, "--isolate"]
            elif mode == "nobody-user":
                os.chown(work, NOBODY, NOBODY)
                os.chmod(work / "program.py", 0o644)
            return self._spawn(cmd, work, mode == "nobody-user")
        except OSError as e:  # the interpreter or unshare cannot be started in this mode
            return Execution("error", None, str(e))
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _spawn(self, cmd: list[str], work: Path, nobody: bool) -> Execution:
        # unshare is looked up on PATH here, in the parent; the child itself gets no environment.
        if cmd[0] == "unshare":
            cmd[0] = shutil.which("unshare") or "unshare"
        proc = subprocess.Popen(
            cmd,
            cwd=work,
            env={},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=self._limits(nobody),
        )
        try:
            out, _ = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, _ = proc.communicate()
            return Execution("timeout", None, _tail(out))
        _kill_group(proc)  # anything the program left running in its group
        if proc.returncode == 0:
            return Execution("passed", 0, _tail(out))
        if proc.returncode == ISOLATION_FAILED:
            return Execution("error", proc.returncode, _tail(out))
        return Execution("failed", proc.returncode, _tail(out))


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(data: bytes | None, limit: int = 2000) -> str:
    return (data or b"")[-limit:].decode("utf-8", "replace")
