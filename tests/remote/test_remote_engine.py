"""The remote engine against llama.cpp serving the same model as the local CTranslate2 engine:
the same greedy tokens, entropies close to the full-vocabulary ones (error statistics printed),
and the `complete` and `bench` commands with --backend openai."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from conftest import API_KEY_ENV, ROOT, LlamaServer

from completion import CT2Engine, SamplingPolicy
from completion.prompt import build
from completion.remote import RemoteEngine
from tests.cli.cli_runner import cli

SNIPPETS = [
    "import os\n\n\ndef read(path):\n    with open(path) as f:\n        return ",
    "class Point:\n    def __init__(self, x, y):\n        self.x = x\n        self.",
    "def mean(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return ",
    "import json\n\n\ndef load(path):\n    with open(path) as f:\n        data = json.",
    "for i in range(10):\n    if i % 2 == 0:\n        print(",
    "def is_even(n):\n    return n % 2 ==",
]
GREEDY = SamplingPolicy(n=1, include_greedy=True, max_new_tokens=12)


def test_same_tokens_and_close_entropy_as_the_local_engine(llama_server: LlamaServer) -> None:
    local = CT2Engine(None, device="cpu", compute_type="float32", threads=1)
    remote = RemoteEngine(llama_server.url, api_key_env=API_KEY_ENV, timeout=30)
    assert remote.info.vocab_size == local.info.vocab_size
    same = total = 0
    ent_err, lp_err = [], []
    for text in SNIPPETS:
        prompt = build(local.tokenizer, local.vocab_text, None, text, len(text), 256, heal=False)
        (a,), _ = local.generate(prompt, GREEDY)
        (b,), _ = remote.generate(prompt, GREEDY)
        # Compare up to the first difference (a near-tie may go either way after it).
        for k, (x, y) in enumerate(zip(a.token_ids, b.token_ids)):
            total += 1
            if x != y:
                break
            same += 1
            if y in remote.stop_ids and k == len(b.token_ids) - 1:
                break  # the end token the server does not send carries no statistics
            ent_err.append(b.entropies[k] - a.entropies[k])
            lp_err.append(b.logprobs[k] - a.logprobs[k])
    e, lp = np.abs(ent_err), np.abs(lp_err)
    print(
        f"\nremote vs local, {len(e)} tokens: same greedy token {same}/{total}; entropy error "
        f"bias {np.mean(ent_err):.3f} mae {e.mean():.3f} p95 {np.percentile(e, 95):.3f} "
        f"max {e.max():.3f} nats; chosen log-prob mae {lp.mean():.4f}"
    )
    assert same / total >= 0.9
    assert lp.mean() < 0.02  # the same weights: llama.cpp f32 and CTranslate2 f32 agree
    assert e.mean() < 0.15  # what is left is the top-K estimate's own error
    remote.close()


def remote_flags(server: LlamaServer) -> list[str]:
    return ["--backend", "openai", "--url", server.url, "--api-key-env", API_KEY_ENV]


def test_complete_command_with_a_remote_model(llama_server: LlamaServer) -> None:
    done = cli(
        "complete", str(ROOT / "examples" / "greeter.py"), "--line", "10", "--column", "16", "--json",
        *remote_flags(llama_server),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["model"]["device"].startswith("remote http://127.0.0.1")
    assert data["suggestions"] and all("confidence" in s for s in data["suggestions"])


def test_bench_runs_against_the_server_with_the_local_fields(
    llama_server: LlamaServer, tmp_path: Path
) -> None:
    common = ["bench", "--suite", "humaneval-single", "--limit", "3", "--n", "2", "--quiet"]
    local = cli(*common, "--out", str(tmp_path / "local"))
    remote = cli(*common, "--out", str(tmp_path / "remote"), *remote_flags(llama_server))
    assert local.returncode == 0, local.stderr
    assert remote.returncode == 0, remote.stderr
    a = json.loads((tmp_path / "local" / "report.json").read_text())
    b = json.loads((tmp_path / "remote" / "report.json").read_text())
    assert "--backend openai" in b["config"]["command"]
    assert b["config"]["model"]["device"].startswith("remote ")

    def shape(x: object) -> object:
        if isinstance(x, dict):
            return {k: shape(v) for k, v in x.items()}
        return type(x).__name__ if not isinstance(x, list) else "list"

    sa, sb = shape(a["suites"]), shape(b["suites"])
    assert sa == sb, "the remote report's fields differ from the local one's"
