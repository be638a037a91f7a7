"""The command line: `entropy-complete <command>`; one module per command, shared option checks."""

from __future__ import annotations

import argparse
import signal
import sys
from typing import NoReturn

from .. import installed_version
from . import bench, calibrate, complete, convert, index, models, options, server

# Each module adds its subcommand(s) with add_parser(sub); the order is the order of --help.
COMMANDS = (complete, server, bench, calibrate, convert, models, options, index)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (and exit code 2), not the usage text."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


_PIPE = hasattr(signal, "SIGPIPE")


def version() -> str:
    """This package's version and the engine's, for bug reports."""
    ours, engine = installed_version(), installed_version("ctranslate2")
    return f"entropy-complete {ours or 'not installed'} (ctranslate2 {engine or 'not installed'})"


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog="entropy-complete",
        description="Code completion ranked by token entropy and syntax, with review flags.",
    )
    p.add_argument("--version", action="version", version=version())
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for command in COMMANDS:
        command.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    # `entropy-complete complete ... | head` should end quietly, not with a traceback; restored
    # on return, as tests call main() in their own process (a later write to a closed socket
    # there killed pytest).
    previous = signal.signal(signal.SIGPIPE, signal.SIG_DFL) if _PIPE else None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    finally:
        if previous is not None:
            signal.signal(signal.SIGPIPE, previous)


if __name__ == "__main__":
    sys.exit(main())
