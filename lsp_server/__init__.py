"""entropy-complete's language server and command line (the only package that speaks LSP)."""

from __future__ import annotations

from importlib import metadata


def installed_version(package: str = "entropy-complete") -> str | None:
    """The version pip installed of ``package``; None when it is not installed (a source tree
    run without ``pip install``)."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
