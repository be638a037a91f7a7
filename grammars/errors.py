"""Exceptions raised by the grammars package; each message says what to do about it."""

from __future__ import annotations


class GrammarError(Exception):
    """Base class for every error raised by `grammars`."""


class UnknownLanguageError(GrammarError, KeyError):
    """A language name that is not in the registry."""

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        super().__init__(f"unknown language {name!r}; use one of: {', '.join(known)}")
        self.name = name

    def __str__(self) -> str:
        # KeyError would otherwise print the repr of the message, quotes and all.
        return str(self.args[0])


class GrammarNotInstalledError(GrammarError):
    """The tree-sitter grammar wheel for a registered language cannot be imported."""

    def __init__(self, name: str, module: str) -> None:
        super().__init__(
            f"tree-sitter grammar for {name!r} is not installed; run `pip install "
            f"{module.replace('_', '-')}`"
        )
        self.name = name


class QueryFileError(GrammarError):
    """A query file shipped in `grammars/queries` does not compile against its grammar."""


class RuleError(GrammarError):
    """A sensitive-API rule file (JSON rules table or its queries) is malformed."""
