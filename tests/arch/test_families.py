"""Each architecture x FIM family: convert -> models check -> a ranked completion (mechanics only).

The models are random, so the text is noise; what is checked is that conversion is faithful
(float32 logits equal transformers'), the family's tokens are found and used in the prompt,
and the engine and the ranking run on it with sane numbers.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from tiny_models import CORPUS, DEVICE, TINY, Tiny, need_convert_extra

from completion import CompletionRequest, CT2Engine, Mode, SamplingPolicy
from completion.convert import META_FILE, convert
from completion.engine import MAX_AUTO_CONTEXT
from completion.inspect import check
from ranking import RankOptions
from ranking.suggest import suggest

CASES = pytest.mark.parametrize("case", TINY, ids=[c.name for c in TINY])
DOC = "import os\n\n\ndef read(path):\n    with open(path) as f:\n        return f.\n\n\nprint(read('x'))\n"
CURSOR = DOC.index("f.\n") + 2


@CASES
def test_convert_writes_metadata(case: Tiny, converted, hf_dirs) -> None:
    result = converted[case.name]
    out = result.out_dir
    assert {"model.bin", "tokenizer.json", "tokenizer_config.json", META_FILE} <= {
        p.name for p in out.iterdir()
    }
    meta = json.loads((out / META_FILE).read_text())
    assert meta == result.meta
    assert meta["family"] == case.family
    assert meta["architecture"] == case.model_class
    assert meta["quantization"] == "int8"
    assert meta["context_length"] == case.context
    vocab = json.loads((out / "tokenizer.json").read_text())["model"]["vocab"]
    specials = set(case.specials)
    assert meta["stop_tokens"] and set(meta["stop_tokens"]) <= specials | set(vocab)
    if case.family == "plain":
        assert meta["fim"] is None
    else:
        assert {meta["fim"][k] for k in ("prefix", "suffix", "middle")} <= specials


@CASES
def test_models_check_says_usable(case: Tiny, converted) -> None:
    report = check(converted[case.name].out_dir, device=DEVICE, load=True)
    assert report.ok, report.reason
    assert report.kind == "decoder" and report.spec == "TransformerDecoderSpec"
    assert report.architecture == case.model_class
    assert report.family == case.family
    assert report.layers == 2 and report.hidden_size == 64
    assert report.weights == "int8"
    # Qwen pads its embedding matrix past the tokenizer (151936 rows for 151665 tokens).
    assert report.model_vocab % case.pad_to == 0
    assert report.tokenizer_vocab <= report.model_vocab < report.tokenizer_vocab + case.pad_to
    assert report.load_seconds is not None and report.device == DEVICE


@CASES
def test_completion_through_engine_and_ranking(case: Tiny, converted) -> None:
    engine = CT2Engine(converted[case.name].out_dir, device=DEVICE, threads=1)
    assert engine.info.family == case.family
    # The engine caps its automatic window (a 32k maximum would mean whole-file CPU prompts).
    assert engine.info.context_tokens == min(case.context, MAX_AUTO_CONTEXT)
    policy = SamplingPolicy(n=4, temperature=1.0, max_new_tokens=8, mode=Mode.BLOCK, seed=1)
    request = CompletionRequest(DOC, CURSOR, "python", "read.py", policy)
    outcome = suggest(engine, request, options=RankOptions(top_k=4))
    result, ranking = outcome.result, outcome.ranking

    ids = result.prompt.ids
    tok = engine.tokenizer
    if case.family == "plain":
        assert not result.prompt.fim
    else:
        tpl = engine.template
        marks = [tok.token_to_id(t) for t in (tpl.prefix, tpl.suffix, tpl.middle)]
        assert result.prompt.fim and ids[-1] == marks[2]
        assert ids.index(marks[0]) < ids.index(marks[1]) < ids.index(marks[2])
        assert tok.decode(list(ids[ids.index(marks[1]) + 1 : -1])).startswith("\n")
        if tpl.bos:
            assert ids[0] == tok.token_to_id(tpl.bos)

    assert result.n_samples == 4
    for cand in result.candidates:
        assert len(cand.entropies) == len(cand.logprobs) >= 1
        assert all(math.isfinite(h) and h >= 0 for h in cand.entropies)
        assert all(math.isfinite(lp) and lp <= 1e-6 for lp in cand.logprobs)
    assert len(ranking.suggestions) == len(result.candidates)
    for s in ranking.suggestions:
        assert 0.0 <= s.confidence <= 1.0
        assert s.text == s.candidate.text


@CASES
def test_float32_conversion_matches_transformers(case: Tiny, hf_dirs, tmp_path) -> None:
    need_convert_extra()
    import ctranslate2
    import torch
    import transformers

    out = convert(hf_dirs[case.name], tmp_path / "f32", quantization="float32", threads=1).out_dir
    assert check(out).weights == "float32"
    model = transformers.AutoModelForCausalLM.from_pretrained(str(hf_dirs[case.name])).eval()
    engine = CT2Engine(out, device="cpu", compute_type="float32", threads=1)
    ids = engine.tokenizer.encode("".join(CORPUS)).ids[:160]
    with torch.no_grad():
        expected = model(torch.tensor([ids])).logits[0].numpy()
    gen = ctranslate2.Generator(str(out), device="cpu", compute_type="float32", intra_threads=1)
    got = np.asarray(gen.forward_batch([[engine.tokenizer.id_to_token(i) for i in ids]]))[0]
    # Positions up to 160 with a peaked random init: a wrong RoPE base or scaling shows here.
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-3 * np.abs(expected).max())
