"""End-to-end fixtures: the real server (`python -m lsp_server serve`, real shipped model) driven by
pytest-lsp's client replaying recorded Neovim and VS Code capabilities."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from e2e_helpers import CLIENTS, SERVER, answer_registrations
from pytest_lsp import ClientServerConfig, LanguageClient


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``client`` runs once per recorded client, or once (as VS Code) for tests marked
    ``any_client``: those whose behaviour does not depend on the client's capabilities."""
    if "client" in metafunc.fixturenames:
        one = metafunc.definition.get_closest_marker("any_client") is not None
        metafunc.parametrize("client", CLIENTS[-1:] if one else CLIENTS, indirect=True)


@pytest_asyncio.fixture
async def client(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[LanguageClient]:
    """A started server with a private state dir (telemetry lands in tmp_path/state)."""
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    lc = await ClientServerConfig(server_command=SERVER, server_env=env).start()
    assert isinstance(lc, LanguageClient)
    lc.spec = request.param  # type: ignore[attr-defined]
    lc.state_dir = tmp_path / "state"  # type: ignore[attr-defined]
    answer_registrations(lc)
    yield lc
    await lc.shutdown_session()
    await lc.stop()
