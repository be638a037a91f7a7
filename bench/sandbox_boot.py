"""Runs inside the sandbox process: build a private root, lock it, add an audit hook, run the program.

Usage: python -I -B sandbox_boot.py WORKDIR PROGRAM [--isolate [--drop-to UID]] [--nproc N]
       [--no-audit-hook]

Standard library only, and it imports nothing from this project: it runs under ``python -I``
with the environment cleared. With ``--isolate`` it must be started by ``unshare --user
--map-root-user --pid --net --mount --ipc --uts --fork --kill-child`` (see ``sandbox.py``), so it
is process 1 of a fresh PID namespace (started by root, the same without ``--user`` and with
``--drop-to 65534``); it then

1. builds a new root on a tmpfs holding only what Python needs, read-only (``/usr``, the
   ``/bin``-style links, the interpreter's prefixes), WORKDIR (writable), a fresh ``/proc`` for
   the new PID namespace and five harmless devices; no ``/etc``, ``/home``, ``/root``, ``/tmp``;
2. ``pivot_root`` into it and detaches the old root, so nothing else of the machine is reachable
   by any path (``/etc/shadow``, your home, your secrets, other users' sockets);
3. as root, becomes ``nobody``; then enters a second user + mount namespace, which locks the read-only flags: a later ``mount``
   from the program fails with EPERM even though it is root of its namespace;
4. caps the processes the program may start (RLIMIT_NPROC, counted per user namespace), forks
   the program and waits for it. When process 1 exits, the kernel kills everything else in the
   namespace, so nothing a program starts (``setsid`` or not) outlives it.

In every mode it then adds an audit hook (PEP 578) that refuses writes, deletes, renames and
permission changes outside WORKDIR and refuses processes, sockets and ctypes. The hook alone is
not a security boundary (code can get around it); the namespaces are. ``--no-audit-hook``
exists so that tests can show the namespaces hold on their own.
"""

from __future__ import annotations

import os
import platform
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC = 32, 4096, 16384
MNT_DETACH = 2
MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID, MOUNT_ATTR_NODEV = 0x1, 0x2, 0x4
AT_FDCWD, AT_RECURSIVE = -100, 0x8000
SYS_MOUNT_SETATTR = 442  # the same number on x86_64 and aarch64 (new syscalls are unified)
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
PR_SET_NO_NEW_PRIVS = 38
ISOLATION_FAILED = 97  # exit status that tells the parent the OS-level measures did not apply
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
DEVICES = ("null", "zero", "full", "random", "urandom")

# Audit events refused outright, and events whose path arguments must stay inside WORKDIR.
DENY = frozenset(
    "os.system os.exec os.posix_spawn os.spawn os.fork os.forkpty os.kill os.killpg "
    "subprocess.Popen socket.connect socket.bind socket.sendto socket.sendmsg "
    "socket.getaddrinfo ctypes.dlopen ctypes.dlsym ctypes.call_function ctypes.cdata "
    "ctypes.addressof os.chroot".split()
)
PATH_EVENTS = {
    "os.remove": (0,),
    "os.rmdir": (0,),
    "shutil.rmtree": (0,),
    "os.rename": (0, 1),
    "os.link": (0, 1),
    "os.symlink": (1,),
    "os.mkdir": (0,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.truncate": (0,),
    "os.utime": (0,),
    "os.removexattr": (0,),
    "os.setxattr": (0,),
    "shutil.copyfile": (1,),
    "shutil.copytree": (1,),
    "shutil.move": (0, 1),
}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _interpreter_dirs() -> list[str]:
    """Where this Python's files live, outermost first, minus what the system dirs cover."""
    dirs = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    dirs.add(os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))))
    inside_system = tuple(d + os.sep for d in SYSTEM_DIRS)
    kept = sorted(d for d in dirs if d != os.sep and not (d + os.sep).startswith(inside_system))
    return [d for d in kept if not any(d.startswith(k + os.sep) for k in kept if k != d)]


def isolate(work: str, drop_to: int | None) -> None:
    """Private read-only root with only WORKDIR writable, locked by a nested user namespace.

    ``drop_to``: when started as real root (no user namespace of its own), the uid and gid to
    become once the root is built: root is exempt from RLIMIT_NPROC and owns most files.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long

    class MountAttr(ctypes.Structure):
        _fields_ = [(n, ctypes.c_uint64) for n in ("set", "clr", "propagation", "userns_fd")]

    def check(result: int, what: str) -> None:
        if result != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"{what}: {os.strerror(err)}")

    def mount(src: str | None, dst: str, fstype: str | None, flags: int, data: str = "") -> None:
        source = src.encode() if src else None
        kind = fstype.encode() if fstype else None
        check(libc.mount(source, dst.encode(), kind, flags, data.encode() or None), dst)

    def read_only(path: str, recursive: bool = True) -> None:
        attr = MountAttr(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, 0, 0)
        ref, size = ctypes.byref(attr), ctypes.sizeof(attr)
        flags = AT_RECURSIVE if recursive else 0
        check(libc.syscall(SYS_MOUNT_SETATTR, AT_FDCWD, path.encode(), flags, ref, size), path)

    root = os.path.join(os.path.dirname(work), "root")
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
    for path in (*SYSTEM_DIRS, *_interpreter_dirs()):
        target = root + path
        if os.path.islink(path):  # /bin -> usr/bin on merged-/usr systems
            os.symlink(os.readlink(path), target)
        elif os.path.isdir(path):
            os.makedirs(target, exist_ok=True)
            mount(path, target, None, MS_BIND | MS_REC)
            read_only(target)
    os.makedirs(root + work)
    mount(work, root + work, None, MS_BIND | MS_NOSUID | MS_NODEV)
    os.makedirs(root + "/proc")
    mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.makedirs(root + "/dev")
    for name in DEVICES:
        open(f"{root}/dev/{name}", "x").close()
        mount(f"/dev/{name}", f"{root}/dev/{name}", None, MS_BIND)
    os.makedirs(root + "/tmp", exist_ok=True)
    old = root + "/.old"
    os.makedirs(old)
    pivot = SYS_PIVOT_ROOT.get(platform.machine())
    if pivot is None:
        raise OSError(0, f"pivot_root: unknown syscall number on {platform.machine()}")
    check(libc.syscall(pivot, root.encode(), old.encode()), "pivot_root")
    os.chdir("/")
    check(libc.umount2(b"/.old", MNT_DETACH), "umount old root")
    os.rmdir("/.old")
    read_only("/", recursive=False)
    if drop_to is not None:
        os.setgroups([])
        os.setgid(drop_to)
        os.setuid(drop_to)
    check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare")
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def inside(path: object, work: str) -> bool:
    if isinstance(path, int):  # a file descriptor: it was opened through the hook already
        return True
    if not isinstance(path, (str, bytes, os.PathLike)):
        return False
    full = os.path.realpath(os.fsdecode(path))
    return full == work or full.startswith(work + os.sep)


def guard(work: str):
    """The audit hook: refuse what a test program has no business doing."""

    def hook(event: str, args: tuple) -> None:
        if event in DENY:
            raise PermissionError(f"sandbox: {event} is not allowed")
        if event == "open":
            path, _mode, flags = args
            if flags and flags & WRITE_FLAGS and not inside(path, work):
                raise PermissionError(f"sandbox: writing {path!r} is not allowed")
            return
        for i in PATH_EVENTS.get(event, ()):
            if i < len(args) and not inside(args[i], work):
                raise PermissionError(f"sandbox: {event} on {args[i]!r} is not allowed")

    return hook


def run_as_init() -> None:
    """Process 1 of the namespace: run the program in a child, exit with its status.

    Process 1 gets no default signal handling and must reap orphans, so the program runs as
    its child; when the program ends, process 1 exits and the kernel kills what is left.
    """
    child = os.fork()
    if child == 0:
        return
    while True:
        pid, status = os.waitpid(-1, 0)
        if pid == child:
            code = os.waitstatus_to_exitcode(status)
            os._exit(code if code >= 0 else 128 - code)  # killed by a signal: 128 + signal


def main() -> None:
    work, program = os.path.realpath(sys.argv[1]), sys.argv[2]
    options = sys.argv[3:]
    if "--isolate" in options:
        drop_to = int(options[options.index("--drop-to") + 1]) if "--drop-to" in options else None
        try:
            isolate(work, drop_to)
        except OSError as e:
            print(f"sandbox: isolation failed: {e}", file=sys.stderr)
            sys.exit(ISOLATION_FAILED)
    if "--nproc" in options:
        import resource

        n = int(options[options.index("--nproc") + 1])
        resource.setrlimit(resource.RLIMIT_NPROC, (n, n))
    if "--isolate" in options:
        run_as_init()
    os.chdir(work)
    with open(program, encoding="utf-8") as f:
        code = compile(f.read(), program, "exec")
    if "--no-audit-hook" not in options:
        sys.addaudithook(guard(work))
    exec(code, {"__name__": "__main__", "__file__": program})


if __name__ == "__main__":
    main()
