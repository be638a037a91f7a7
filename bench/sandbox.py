"""Runs untrusted generated code: a subprocess in its own namespaces, with limits and a deadline.

Layers, outermost first (each is there because the ones inside it can be got around):

- ``unshare --user --pid --net --mount --ipc --uts`` (stock util-linux, no root needed where the
  kernel allows unprivileged user namespaces): a private root that holds only Python, ``/usr``
  and the temp dir (so no ``/etc/shadow``, no home, no secrets), all read-only but the temp
  dir and locked so; no network (not even the machine's loopback); no view of, or signal to,
  any process outside; and a PID namespace, so the whole process tree dies with it at the
  deadline, ``setsid`` or not (see ``sandbox_boot``).
- Resource limits: address space (memory), CPU seconds, file size, no core dumps, and a cap on
  processes counted inside the namespace (a fork bomb stops there).
- ``python -I -B`` with an empty environment, the temp dir as cwd, and an audit hook that
  refuses writes outside it, processes, sockets and ctypes.

Where namespaces cannot be created, ``run`` refuses (``SandboxUnavailable``) unless the caller
opted in with ``unsafe=True`` (``bench --unsafe-exec``); even then it never runs a candidate as
root: as root it drops to ``nobody`` or refuses.
"""

from __future__ import annotations

import os
import select
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
UNSHARE = ("--pid", "--net", "--mount", "--ipc", "--uts", "--fork", "--kill-child")
USERNS = ("--user", "--map-root-user")  # not as root: root creates namespaces, then drops


class SandboxUnavailable(RuntimeError):
    """Generated code cannot be isolated here; the message says what to do."""


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
        timeout: wall-clock seconds before the whole process tree is killed; ``run`` returns
            within about a second of it.
        memory_mb: address-space limit per process (RLIMIT_AS).
        file_mb: largest file the program may write (RLIMIT_FSIZE).
        nproc: processes the program may have at once (RLIMIT_NPROC, per user namespace).
        isolate: use namespaces (False only for tests of the refusal and of the unsafe path).
        unsafe: where namespaces are unavailable, run anyway with limits and the audit hook
            (never as root: as root the program runs as ``nobody``, or not at all).
        audit_hook: install the audit hook (switched off only by tests of the layers below it).
    """

    timeout: float = 5.0
    memory_mb: int = 1024
    file_mb: int = 8
    nproc: int = 64
    isolate: bool = True
    unsafe: bool = False
    audit_hook: bool = True

    @cached_property
    def isolation(self) -> str:
        """What protects the machine: "namespaces", or with ``unsafe`` "unsafe-nobody" or
        "unsafe-user" (a non-root user, limits and the audit hook only).

        Raises:
            SandboxUnavailable: no namespaces and no opt-in, or only root would be left.
        """
        if os.name != "posix":
            raise SandboxUnavailable("running generated code safely needs Linux")
        why = "this is not Linux"
        if self.isolate and sys.platform == "linux":
            why = "unshare (util-linux) is not on PATH"
            if shutil.which("unshare"):
                probe = self._run_once("pass\n", "namespaces")
                if probe.passed:
                    return "namespaces"
                why = f"unshare {' '.join(self._unshare())} failed: {probe.output.strip()[-300:]}"
        if not self.isolate:
            why = "isolation switched off"
        if not self.unsafe:
            raise SandboxUnavailable(
                f"sandbox: cannot isolate generated code on this machine ({why}); refusing to "
                "run it. Allow unprivileged user namespaces (sysctl kernel."
                "unprivileged_userns_clone=1, user.max_user_namespaces > 0; in Docker, a "
                "seccomp profile that permits unshare), or pass --unsafe-exec to run it as a "
                "non-root user with only resource limits and an audit hook."
            )
        if os.geteuid() != 0:
            return "unsafe-user"
        probe = self._run_once("pass\n", "unsafe-nobody")
        if probe.passed:
            return "unsafe-nobody"
        raise SandboxUnavailable(
            "sandbox: refusing to run generated code as root, even with --unsafe-exec, and the "
            f"drop to 'nobody' failed ({probe.output.strip()[-300:]}); a Python under a 0700 "
            "home cannot run as nobody. Run the benchmark as an unprivileged user."
        )

    def run(self, program: str) -> Execution:
        """Runs ``program`` (Python source) and reports how it ended.

        Raises:
            SandboxUnavailable: see ``isolation``.
        """
        return self._run_once(program, self.isolation)

    @staticmethod
    def _unshare() -> list[str]:
        """The unshare command line (--kill-child: the namespace's init dies with unshare)."""
        user = () if os.geteuid() == 0 else USERNS
        return [shutil.which("unshare") or "unshare", *user, *UNSHARE]

    def _limits(self, drop_to_nobody: bool):
        import resource  # POSIX only: imported here so the CLI still loads elsewhere

        limits = (
            (resource.RLIMIT_AS, self.memory_mb << 20),
            (resource.RLIMIT_CPU, int(self.timeout) + 1),
            (resource.RLIMIT_FSIZE, self.file_mb << 20),
            (resource.RLIMIT_CORE, 0),
        )

        def apply() -> None:  # runs in the child between fork and exec: no imports here
            for which, value in limits:
                resource.setrlimit(which, (value, value))
            if drop_to_nobody:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)

        return apply

    def _run_once(self, program: str, mode: str) -> Execution:
        base = Path(tempfile.mkdtemp(prefix="ec-sandbox-"))
        work, root = base / "work", base / "root"
        try:
            work.mkdir()
            root.mkdir()
            (work / "program.py").write_text(program, encoding="utf-8")
            cmd = [sys.executable, "-I", "-B", str(BOOT), str(work), str(work / "program.py")]
            cmd += ["--nproc", str(self.nproc)]
            if not self.audit_hook:
                cmd.append("--no-audit-hook")
            root_drops = os.geteuid() == 0 and mode in ("namespaces", "unsafe-nobody")
            if mode == "namespaces":
                cmd = [*self._unshare(), *cmd, "--isolate"]
                if root_drops:
                    cmd += ["--drop-to", str(NOBODY)]
            if root_drops:
                for path in (base, work):
                    os.chown(path, NOBODY, NOBODY)
                os.chmod(work / "program.py", 0o644)
            return self._spawn(cmd, work, mode == "unsafe-nobody")
        except OSError as e:  # the interpreter or unshare cannot be started in this mode
            return Execution("error", None, str(e))
        finally:
            shutil.rmtree(base, ignore_errors=True)

    def _spawn(self, cmd: list[str], work: Path, nobody: bool) -> Execution:
        # Output goes to a file, not a pipe: a pipe stays open while any descendant holds it,
        # and reading it to the end would wait for them past the deadline.
        with tempfile.TemporaryFile() as out:
            proc = subprocess.Popen(
                cmd,
                cwd=work,
                env={},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=self._limits(nobody),
            )
            try:
                proc.wait(timeout=self.timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                timed_out = True
            _kill_tree(proc)  # on a normal exit too: anything left in its session
            out.seek(max(0, out.seek(0, os.SEEK_END) - 2000))
            tail = out.read().decode("utf-8", "replace")
        if timed_out:
            return Execution("timeout", None, tail)
        if proc.returncode == 0:
            return Execution("passed", 0, tail)
        if proc.returncode == ISOLATION_FAILED:
            return Execution("error", proc.returncode, tail)
        return Execution("failed", proc.returncode, tail)


def _kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL the namespace's process 1 (the kernel then kills all of the namespace) and the
    session, and wait until process 1 is gone, for at most a second."""
    inits = _children(proc.pid)
    pidfds = []
    for pid in inits:
        try:
            pidfds.append(os.pidfd_open(pid))
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
    for fd in pidfds:  # readable once that process has exited (and its namespace is empty)
        select.select([fd], [], [], 1.0)
        os.close(fd)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]
