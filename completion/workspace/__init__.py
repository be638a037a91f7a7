"""Workspace grounding: an index of the definitions in a workspace's files, and retrieval of
the ones the code at a cursor needs."""

from __future__ import annotations

from .files import FileLimits, IgnoreRules, is_generated
from .index import DEFAULT_MAX_BYTES, FileEntry, Found, IndexStats, WorkspaceIndex, module_name
from .retrieve import Resolver, Retrieved, retrieve

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FileEntry",
    "FileLimits",
    "Found",
    "IgnoreRules",
    "IndexStats",
    "Resolver",
    "Retrieved",
    "WorkspaceIndex",
    "is_generated",
    "module_name",
    "retrieve",
]
