"""Runs inside the sandbox process: lock the filesystem, install an audit hook, run the program.

Usage: python -I -B sandbox_boot.py WORKDIR PROGRAM [--isolate] [--no-audit-hook]

Standard library only, and it imports nothing from this project: it runs under ``python -I``
with the environment cleared. With ``--isolate`` it must be started by ``unshare -rnm`` (new
user, network and mount namespaces); it then

1. bind-mounts WORKDIR on itself, makes every mount read-only (mount_setattr, recursive), and
   makes WORKDIR writable again;
2. enters a second user + mount namespace, which locks those read-only flags: a later
   ``mount``/``mount_setattr`` from the program fails with EPERM even though it runs as root of
   its namespace, and the locked mounts cannot be unmounted to reveal what is under them.

In every mode it then adds an audit hook (PEP 578) that refuses writes, deletes, renames and
permission changes outside WORKDIR and refuses processes, sockets and ctypes. The hook alone is
not a security boundary (code can get around it); the read-only mounts are. ``--no-audit-hook``
exists so that a test can show the mounts hold on their own.
"""

from __future__ import annotations

import os
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
MS_BIND, MS_REC = 4096, 16384
MOUNT_ATTR_RDONLY = 0x1
AT_FDCWD, AT_RECURSIVE = -100, 0x8000
SYS_MOUNT_SETATTR = 442  # the same number on x86_64 and aarch64 (new syscalls are unified)
ISOLATION_FAILED = 97  # exit status that tells the parent the OS-level measures did not apply

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


def isolate(work: str) -> None:
    """Read-only mounts everywhere but ``work``, locked by a nested user namespace."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long

    class MountAttr(ctypes.Structure):
        _fields_ = [(n, ctypes.c_uint64) for n in ("set", "clr", "propagation", "userns_fd")]

    def check(result: int, what: str) -> None:
        if result != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"{what}: {os.strerror(err)}")

    def mount_setattr(path: str, set_: int, clr: int, flags: int) -> None:
        attr = MountAttr(set_, clr, 0, 0)
        ref, size = ctypes.byref(attr), ctypes.sizeof(attr)
        check(libc.syscall(SYS_MOUNT_SETATTR, AT_FDCWD, path.encode(), flags, ref, size), path)

    check(libc.mount(work.encode(), work.encode(), None, MS_BIND | MS_REC, None), "bind")
    mount_setattr("/", MOUNT_ATTR_RDONLY, 0, AT_RECURSIVE)
    mount_setattr(work, 0, MOUNT_ATTR_RDONLY, AT_RECURSIVE)
    check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare")


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


def main() -> None:
    work, program = os.path.realpath(sys.argv[1]), sys.argv[2]
    if "--isolate" in sys.argv[3:]:
        try:
            isolate(work)
        except OSError as e:
            print(f"sandbox: isolation failed: {e}", file=sys.stderr)
            sys.exit(ISOLATION_FAILED)
    os.chdir(work)
    with open(program, encoding="utf-8") as f:
        code = compile(f.read(), program, "exec")
    if "--no-audit-hook" not in sys.argv[3:]:
        sys.addaudithook(guard(work))
    exec(code, {"__name__": "__main__", "__file__": program})


if __name__ == "__main__":
    main()
