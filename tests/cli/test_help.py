"""`--help` explains every argument of every command: a new option without help text fails here."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest
from cli_runner import cli

from lsp_server.cli import build_parser


def _commands(
    parser: argparse.ArgumentParser, name: str
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, subparser in action.choices.items():
                yield from _commands(subparser, f"{name} {sub}")


COMMANDS = dict(_commands(build_parser(), "entropy-complete"))


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_argument_has_help(command: str) -> None:
    parser = COMMANDS[command]
    missing = [
        "/".join(a.option_strings) or a.dest
        for a in parser._actions
        if not isinstance(a, argparse._SubParsersAction) and not a.help
    ]
    assert not missing, f"{command}: no help text for {missing}"
    # ... and --help prints it, exit code 0.
    result = cli(*command.split()[1:], "--help")
    assert result.returncode == 0 and result.stdout.startswith("usage: ")
