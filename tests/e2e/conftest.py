"""End-to-end fixtures: the real server (`python -m lsp_server serve`, real shipped model) driven by
pytest-lsp's client replaying recorded Neovim and VS Code capabilities.

``client`` starts a server per test. A module whose tests only need a ready server can share
one per recorded client instead: it sets ``SHARED_OPTIONS`` (the initialization options) and
``pytestmark = pytest.mark.asyncio(loop_scope="module")``, and its tests take ``server``,
already initialised with the model loaded. Such tests assert on what *they* changed: counters as
differences (``stats``), documents and texts of their own (so no cache entry of another test
answers them), settings pushed and restored (``pushed``)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from e2e_helpers import BASE_OPTIONS, CLIENTS, SERVER, answer_registrations, initialize, merge
from pytest_lsp import ClientServerConfig, LanguageClient


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``client`` and ``server`` run once per recorded client, or once (as VS Code) for tests
    marked ``any_client``: those whose behaviour does not depend on the client's capabilities."""
    for name in ("client", "server"):
        if name in metafunc.fixturenames:
            one = metafunc.definition.get_closest_marker("any_client") is not None
            metafunc.parametrize(name, CLIENTS[-1:] if one else CLIENTS, indirect=True)


async def _start(spec: str, state: Path) -> LanguageClient:
    env = {**os.environ, "XDG_STATE_HOME": str(state)}
    lc = await ClientServerConfig(server_command=SERVER, server_env=env).start()
    assert isinstance(lc, LanguageClient)
    lc.spec = spec  # type: ignore[attr-defined]
    lc.state_dir = state  # type: ignore[attr-defined]
    answer_registrations(lc)
    return lc


async def _stop(lc: LanguageClient) -> None:
    await lc.shutdown_session()
    await lc.stop()


@pytest_asyncio.fixture
async def client(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[LanguageClient]:
    """A started server with a private state dir (telemetry lands in tmp_path/state)."""
    lc = await _start(request.param, tmp_path / "state")
    yield lc
    await _stop(lc)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LanguageClient]:
    """One server per module and recorded client, initialised with the module's
    ``SHARED_OPTIONS`` and its model loaded; ``server.init_result`` is initialize's answer."""
    lc = await _start(request.param, tmp_path_factory.mktemp("state"))
    options = getattr(request.module, "SHARED_OPTIONS", {})
    lc.options = merge(BASE_OPTIONS, options)  # type: ignore[attr-defined]
    lc.init_result = await initialize(lc, options)  # type: ignore[attr-defined]
    yield lc
    await _stop(lc)
