"""`entropy-complete serve` (the language server, stdio or TCP) and `entropy-complete report`."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import socket
import sys
from pathlib import Path

from .args import bounded_int, readable_file


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="run the language server (stdio by default)",
        description="Run the LSP server. Editors start it over stdio; --tcp listens on a port "
        "(loopback unless --host says otherwise).",
    )
    p.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (default)")
    p.add_argument("--tcp", action="store_true", help="listen on TCP instead of stdio")
    p.add_argument("--host", default="127.0.0.1", help="TCP address (default 127.0.0.1)")
    p.add_argument("--port", type=bounded_int(1, 65535), default=2087, help="TCP port (2087)")
    p.add_argument("--log-file", type=Path, help="write the log here instead of stderr")
    p.add_argument(
        "--log-level",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="the least severe log message written (default warning)",
    )
    p.set_defaults(func=run_serve)

    r = sub.add_parser(
        "report",
        help="summarise the local telemetry: acceptance by confidence, latency, flags",
        description="Read the telemetry JSONL the server writes (in the user state directory) "
        "and print acceptance by confidence bucket, latency percentiles and review-flag counts.",
    )
    r.add_argument("--file", type=readable_file, help="telemetry file (default: the server's)")
    r.add_argument("--json", action="store_true", help="print one JSON object")
    r.set_defaults(func=run_report)


def _fail(msg: str) -> int:
    print(f"entropy-complete: error: {msg}", file=sys.stderr)
    return 2


def _fewer_malloc_arenas() -> None:
    """glibc gives each thread that allocates its own arena (up to 8 per core), and the model,
    loader and to_thread workers each keep one with freed memory in it: a soak's RSS swung
    between 250 and 470 MB. Two arenas (what MALLOC_ARENA_MAX=2 sets) kept it flat."""
    import ctypes

    if sys.platform.startswith("linux") and "MALLOC_ARENA_MAX" not in os.environ:
        # The C library the process already runs with (ctypes.util.find_library would spawn
        # `ldconfig -p` at every start).
        with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to tune
            ctypes.CDLL(None).mallopt(-8, 2)  # M_ARENA_MAX


def run_serve(args: argparse.Namespace) -> int:
    if args.tcp and args.stdio:
        return _fail("choose --stdio or --tcp, not both")
    # stdout carries the protocol: the log goes to stderr or a file, never to stdout.
    target: dict = {"stream": sys.stderr}
    if args.log_file:
        try:
            target = {"handlers": [logging.FileHandler(args.log_file, encoding="utf-8")]}
        except OSError as e:
            return _fail(f"--log-file {args.log_file}: {e.strerror or e}")
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        **target,
    )
    if args.tcp:  # before the server's imports: a bad host is one line at once
        try:
            socket.getaddrinfo(args.host, args.port)
        except socket.gaierror as e:
            return _fail(f"--host {args.host}: {e.strerror or e}")
    from ..server import build_server
    from ..transport import serve_stdio, serve_tcp

    if hasattr(signal, "SIGPIPE"):
        # A client that goes mid-answer is an error on its own connection; with SIGPIPE's
        # default (main sets it for piped output) it killed the process, every client with it.
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)

    _fewer_malloc_arenas()
    if not args.tcp:
        return serve_stdio(build_server)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        logging.getLogger("entropy-complete").warning(
            "listening on %s: anyone who can reach it can read the documents you edit", args.host
        )
    try:
        # One server per client, sharing the loaded model.
        return serve_tcp(args.host, args.port, lambda models: build_server(models=models))
    except socket.gaierror as e:
        return _fail(f"--host {args.host}: {e.strerror or e}")
    except (OSError, OverflowError) as e:
        reason = "address already in use" if getattr(e, "errno", None) == 98 else str(e)
        return _fail(f"cannot listen on {args.host}:{args.port}: {reason}")


def run_report(args: argparse.Namespace) -> int:
    from ..report import format_text, read_events, summarise
    from ..telemetry import default_path

    path = args.file or default_path()
    if not path.exists() and not path.with_name(path.name + ".1").exists():
        print(
            f"entropy-complete: no telemetry yet at {path} (the server writes it as you use it)",
            file=sys.stderr,
        )
        return 1
    events = list(read_events(path))
    if not events and path.exists() and path.stat().st_size:
        return _fail(f"{path} is not a telemetry file (no JSON events in it)")
    summary = summarise(events)
    print(json.dumps(summary, indent=1) if args.json else format_text(summary, path))
    return 0
