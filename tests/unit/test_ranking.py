"""Ranking order, dedupe, abstain, agreement and the confidence model."""

from __future__ import annotations

import pytest

from completion.types import Candidate
from ranking import ConfidenceModel, RankOptions, rank
from ranking.features import agreement, similarity

DOC = "def area(r):\n    return \n"
OFFSET = DOC.index("return ") + len("return ")


def cand(
    text: str, logprob: float, entropy: float, votes: int = 1, ended: bool = True
) -> Candidate:
    n = max(1, len(text) // 3)
    return Candidate(
        text=text,
        logprobs=(logprob,) * n,
        entropies=(entropy,) * n,
        token_starts=tuple(range(0, 3 * n, 3)),
        ended=ended,
        emitted_eot=ended,
        votes=votes,
    )


def test_syntax_breaking_candidates_rank_below_clean_ones() -> None:
    broken = cand("3.14 * r * (r", -0.05, 0.1, votes=3)  # very sure, but leaves "(" open
    clean = cand("3.14 * r * r", -0.9, 1.5)
    r = rank([broken, clean], DOC, OFFSET, "python")
    assert [s.text for s in r.suggestions] == ["3.14 * r * r", "3.14 * r * (r"]
    assert r.suggestions[1].features.syntax_delta > 0
    assert r.suggestions[0].features.syntax_ok


def test_higher_confidence_first_among_clean() -> None:
    unsure = cand("r", -2.0, 3.0)
    sure = cand("r * r", -0.2, 0.3, votes=3)
    r = rank([unsure, sure], DOC, OFFSET, "python")
    assert r.suggestions[0].text == "r * r"
    assert r.suggestions[0].confidence > r.suggestions[1].confidence


def test_top_k_and_dedupe_of_trailing_whitespace() -> None:
    cands = [
        cand("r", -0.5, 0.5),
        cand("r ", -0.6, 0.5),
        cand("r * 2", -0.7, 0.5),
        cand("2 * r", -0.8, 0.5),
    ]
    r = rank(cands, DOC, OFFSET, "python", options=RankOptions(top_k=2))
    assert len(r.suggestions) == 2
    assert [s.text.rstrip() for s in r.suggestions].count("r") == 1
    assert len(r.all_scored) == 4


def test_abstains_below_threshold_but_keeps_scores() -> None:
    r = rank([cand("r", -3.0, 4.0)], DOC, OFFSET, "python", options=RankOptions(abstain_below=0.5))
    assert r.abstained and r.suggestions == ()
    assert r.best_confidence < 0.5 and len(r.all_scored) == 1
    assert not rank([], DOC, OFFSET, "python").suggestions


def test_sensitive_call_is_flagged_with_span_entropy() -> None:
    doc = "import subprocess\n\ndef run(cmd):\n    \n"
    off = doc.index("    \n") + 4
    text = "subprocess.run(cmd, shell=True)"
    c = Candidate(
        text=text,
        logprobs=(-1.0,) * 4,
        entropies=(2.0, 2.5, 0.2, 0.1),
        token_starts=(0, 10, 15, 20),
        ended=True,
        emitted_eot=True,
    )
    (s,) = rank([c], doc, off, "python").suggestions
    (flag,) = s.flags
    assert flag.rule == "py.subprocess-shell" and flag.cwe == "CWE-78"
    assert (flag.start, flag.end) == (0, len(text))
    assert flag.entropy == pytest.approx(sum(c.entropies) / 4)
    assert s.review_required


def test_unknown_language_skips_syntax_and_flags() -> None:
    r = rank([cand("os.system(x)", -0.5, 0.5)], "x", 1, None)
    assert r.suggestions[0].flags == () and r.suggestions[0].features.syntax_delta == 0


def test_agreement_counts_votes_and_similarity() -> None:
    a, b, c = cand("foo(x)", -1, 1, votes=3), cand("foo(y)", -1, 1), cand("zzz", -1, 1)
    ag = agreement([a, b, c])
    assert ag[0] > ag[1] > ag[2]
    assert 0 <= min(ag) and max(ag) <= 1
    assert similarity("a  b", "a b") == 1.0


def test_confidence_is_monotone_in_its_signals(tmp_path) -> None:
    from ranking.features import Features

    base = dict(
        mean_logprob=-1.0,
        sum_logprob=-5.0,
        mean_entropy=1.0,
        max_entropy=2.0,
        tail_entropy=1.0,
        ended=True,
        emitted_eot=True,
        syntax_delta=0,
        agreement=0.5,
        n_tokens=5,
    )
    m = ConfidenceModel()
    s0 = m.score(Features(**base))
    assert 0 < s0 < 1
    assert m.score(Features(**{**base, "mean_entropy": 3.0})) < s0
    assert m.score(Features(**{**base, "mean_logprob": -0.1})) > s0
    assert m.score(Features(**{**base, "agreement": 1.0})) > s0
    assert m.score(Features(**{**base, "syntax_delta": 2})) < s0
    path = tmp_path / "conf.json"
    ConfidenceModel(bias=0.5, weights={"agreement": 1.0}, source="fit").save(path)
    loaded = ConfidenceModel.load(path)
    assert loaded.bias == 0.5 and loaded.weights == {"agreement": 1.0}
    path.write_text('{"bias": 0, "weights": {"nonsense": 1}}')
    with pytest.raises(ValueError, match="nonsense"):
        ConfidenceModel.load(path)
    path.write_text('{"bias": 0, "weights": {"agreement": "NaN"}}')
    with pytest.raises(ValueError, match="finite"):
        ConfidenceModel.load(path)
    path.write_text("not json")
    with pytest.raises(ValueError, match="not a confidence model"):
        ConfidenceModel.load(path)
    # A file from before the rank/confidence split: its weights become the rank score.
    path.write_text('{"bias": 0.25, "weights": {"agreement": 2.0}}')
    old = ConfidenceModel.load(path)
    assert old.rank_weights == {"agreement": 2.0} and old.weights == {"rank_score": 1.0}


def test_a_model_directory_brings_its_own_calibration(tmp_path) -> None:
    assert ConfidenceModel.for_model(tmp_path) == ConfidenceModel()
    fitted = ConfidenceModel(bias=-2.0, weights={"log_share": 1.0}, source="calibrated")
    fitted.save(tmp_path / "confidence.json")
    assert ConfidenceModel.for_model(tmp_path) == fitted


def test_a_prompt_layout_with_its_own_fit_uses_it_and_the_others_fall_back(tmp_path) -> None:
    from ranking.confidence import calibration_file, calibration_problem

    main = ConfidenceModel(bias=-2.0, weights={"log_share": 1.0}, source="spm fit")
    prefix = ConfidenceModel(bias=-1.0, weights={"log_share": 2.0}, source="prefix fit")
    main.save(tmp_path / "confidence.json")
    prefix.save(tmp_path / "confidence.prefix.json")
    assert ConfidenceModel.for_model(tmp_path, "prefix") == prefix
    assert calibration_file(tmp_path, "prefix").name == "confidence.prefix.json"
    for fmt in ("", "spm", "fim"):  # no file of their own: the model's main fit
        assert ConfidenceModel.for_model(tmp_path, fmt) == main
        assert calibration_file(tmp_path, fmt).name == "confidence.json"
    # A broken per-layout file is reported and gives the priors, as a broken main one does.
    (tmp_path / "confidence.prefix.json").write_text("not json")
    assert ConfidenceModel.for_model(tmp_path, "prefix") == ConfidenceModel()
    assert "confidence.prefix.json" in (calibration_problem(tmp_path, "prefix") or "")
    assert calibration_problem(tmp_path, "spm") is None


def test_known_names_catches_invented_identifiers() -> None:
    from ranking.features import document_names, known_share

    names = document_names("def area(width, height):\n    return ", 30)
    assert known_share("width * height", names, "    return ") == 1.0
    assert known_share("widht * hieght", names, "    return ") == 0.0
    # A name the line assigns is new on purpose; builtins are known.
    assert known_share("total = len(width)", names, "    ") == 1.0
