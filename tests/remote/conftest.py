"""A real OpenAI-compatible server for the remote-engine tests: llama.cpp's (llama-cpp-python's
server) serving the shipped model, converted to GGUF by llama.cpp's own converter at test time,
on 127.0.0.1 at a free port; plus a small fault-injecting proxy in front of it."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from platformdirs import user_cache_dir

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))  # e2e_helpers: the LSP client helpers

API_KEY_ENV = "ENTROPY_TEST_API_KEY"
API_KEY = "test-key-not-secret"

if importlib.util.find_spec("llama_cpp") is None:
    pytest.skip(
        "llama-cpp-python is not installed: pip install -e '.[remote-test]' (CI does)",
        allow_module_level=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sdist() -> Path:
    import llama_cpp

    given = os.environ.get("LLAMA_CPP_PYTHON_SDIST")
    if given:
        return Path(given)
    name = f"llama_cpp_python-{llama_cpp.__version__}.tar.gz"
    for d in (Path(user_cache_dir("entropy-complete")), Path("/tmp/llm")):
        if (d / name).exists():
            return d / name
    pytest.fail(
        f"llama.cpp's converter is needed: set LLAMA_CPP_PYTHON_SDIST to {name} "
        "(pip download llama-cpp-python --no-binary :all: --no-deps), as .ci/run does"
    )


@pytest.fixture(scope="session")
def gguf_model() -> Path:
    """The shipped model as GGUF, converted once and cached by the weights' hash."""
    weights = ROOT / "training" / "weights" / "model.safetensors"
    key = hashlib.sha256(weights.read_bytes()).hexdigest()[:12]
    out = Path(user_cache_dir("entropy-complete")) / "gguf" / f"default-{key}-f32.gguf"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        script = ROOT / "scripts" / "shipped_gguf.py"
        done = subprocess.run(
            [sys.executable, str(script), str(out), "--llama-src", str(_sdist())],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    return out


class LlamaServer:
    def __init__(self, url: str, log: Path, proc: subprocess.Popen[bytes]) -> None:
        self.url, self.log, self.proc = url, log, proc

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="session")
def llama_server(
    gguf_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LlamaServer]:
    """llama-cpp-python's server on 127.0.0.1, with an API key, tokenizing with our tokenizer.

    ``--hf_pretrained_model_name_or_path`` makes the server tokenize prompts with the model's
    own tokenizer.json: llama.cpp's built-in pre-tokenizers have none that splits exactly like
    ours (see scripts/shipped_gguf.py).
    """
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    cmd = [
        sys.executable, "-u", "-m", "llama_cpp.server",
        "--model", str(gguf_model),
        "--hf_pretrained_model_name_or_path", str(ROOT / "training" / "weights"),
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "1024", "--n_threads", "1", "--api_key", API_KEY,
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    server = LlamaServer(url, log, proc)
    deadline = time.monotonic() + 90
    while True:
        try:
            httpx.get(url + "/v1/models", timeout=1, headers=_auth())
            break
        except httpx.HTTPError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"llama.cpp server did not start:\n{server.log_text()[-3000:]}")
            time.sleep(0.2)
    os.environ[API_KEY_ENV] = API_KEY  # the engines and the LSP server read it from here
    yield server
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_KEY}"}
