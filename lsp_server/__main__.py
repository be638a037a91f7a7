"""Command-line entry point: `entropy-complete <command>` and `python -m lsp_server`."""

from __future__ import annotations

import argparse
import signal
import sys

from . import (
    cli_bench,
    cli_calibrate,
    cli_complete,
    cli_convert,
    cli_models,
    cli_options,
    cli_server,
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="entropy-complete",
        description="Code completion ranked by token entropy and syntax, with review flags.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    cli_complete.add_parser(sub)
    cli_server.add_parser(sub)
    cli_bench.add_parser(sub)
    cli_calibrate.add_parser(sub)
    cli_convert.add_parser(sub)
    cli_models.add_parser(sub)
    cli_options.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    if hasattr(signal, "SIGPIPE"):
        # `entropy-complete complete ... | head` should end quietly, not with a traceback.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
