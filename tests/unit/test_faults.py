"""Faults survived (#16): inputs validated at load (confidence files, thread counts, model files
that block), and telemetry that turns itself off on a full disk instead of failing requests."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import threading
import time
from pathlib import Path

import pytest

from completion import DEFAULT_MODEL_DIR, ModelLoadError
from completion.modeldir import check_model_dir
from lsp_server.config import Options, parse
from lsp_server.model_host import ModelHost, load_engine
from lsp_server.telemetry import Telemetry
from ranking.confidence import ConfidenceModel, calibration_problem

WRONG_SHAPES = [
    "[]",
    '"weights"',
    '{"weights": []}',
    '{"weights": null}',
    '{"weights": {"rank_score": "1"}}',
    '{"weights": {"rank_score": true}}',
    '{"weights": {"rank_score": 1}, "rank_weights": {"sum_logprob": 1e308}}',
    '{"weights": {"rank_score": 1}, "bias": [0]}',
    "[" * 100_000 + "]" * 100_000,
]


@pytest.mark.parametrize("text", WRONG_SHAPES, ids=range(len(WRONG_SHAPES)))
def test_a_confidence_file_of_the_wrong_shape_is_one_clear_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "confidence.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="not a confidence model") as err:
        ConfidenceModel.load(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_a_broken_model_calibration_falls_back_to_the_priors(tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, model, ignore=shutil.ignore_patterns("model.bin"))
    assert ConfidenceModel.for_model(model).source.startswith("calibrate")
    (model / "confidence.json").write_text('{"weights": {"rank_score": "high"}}')
    os.utime(model / "confidence.json", ns=(1, 1))  # a new file version for the cache
    fallback = ConfidenceModel.for_model(model)  # was a ValueError on every completion
    assert fallback == ConfidenceModel()
    assert "rank_score" in (calibration_problem(model) or "")
    (model / "confidence.json").unlink()
    os.mkfifo(model / "confidence.json")  # would block a read for good
    t = time.perf_counter()
    assert ConfidenceModel.for_model(model) == ConfidenceModel()
    assert "regular file" in (calibration_problem(model) or "") and time.perf_counter() - t < 1


def test_threads_are_bounded_by_the_cpu_count() -> None:
    cores = os.cpu_count() or 1
    options, problems = parse({"model": {"threads": 4096}})
    assert options.model.threads == 0 and problems == [
        f"model.threads must be 0 (automatic) to {cores} @ settings.model"
    ]
    assert parse({"model": {"threads": cores}})[1] == []


@pytest.mark.parametrize(
    ("meta", "says"),
    [
        ('{"prompt_format": ', "cannot be read: Expecting value"),
        ('["fim"]', "must hold a JSON object, not a list"),
        (
            '{"prompt_format": "auto"}',
            "\"prompt_format\" must be one of fim, spm, prefix, not 'auto'",
        ),
        ('{"context_length": "big"}', "\"context_length\" must be a number of tokens, not 'big'"),
        ('{"context_length": true}', '"context_length" must be a number of tokens, not True'),
        ('{"languages": "python"}', '"languages" must be a list of names or "all"'),
    ],
)
def test_a_broken_model_metadata_file_is_one_line_naming_it(
    tmp_path: Path, meta: str, says: str
) -> None:
    """The engine, `models check` and `complete` refuse it alike (a list was a traceback)."""
    from completion.inspect import check
    from lsp_server.cli import main

    model = tmp_path / "model"
    model.mkdir()
    for f in DEFAULT_MODEL_DIR.iterdir():
        (model / f.name).symlink_to(f)
    (model / "entropy-complete.json").unlink()
    (model / "entropy-complete.json").write_text(meta)
    where = f"{model / 'entropy-complete.json'}"
    with pytest.raises(ModelLoadError) as caught:
        load_engine(Options().model.__class__(path=str(model), threads=1))
    assert str(caught.value).startswith(where) and says in str(caught.value)
    report = check(model)
    assert not report.ok and says in (report.reason or "")
    source = tmp_path / "t.py"
    source.write_text("def f(x):\n    return ")
    assert (
        main(["complete", "--model", str(model), str(source), "--line", "2", "--column", "11"]) == 2
    )


def test_a_model_file_that_blocks_is_refused_at_once(tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, model, ignore=shutil.ignore_patterns("model.bin"))
    os.mkfifo(model / "model.bin")
    t = time.perf_counter()
    with pytest.raises(ModelLoadError, match="not a regular file"):
        check_model_dir(model)
    assert time.perf_counter() - t < 1


async def test_a_load_that_never_ends_times_out_and_the_next_setting_loads(tmp_path: Path) -> None:
    fifo = tmp_path / "never"
    os.mkfifo(fifo)
    options = Options().model

    def loader(o):  # a read that never returns (a FIFO, a hung mount), then the real loader
        if o.path == str(fifo):
            fifo.read_bytes()
        return load_engine(o)

    host = ModelHost(loader, load_timeout=1.0)
    stuck = options.__class__(path=str(fifo))
    t = time.perf_counter()
    with pytest.raises(ModelLoadError, match="took over 1 s"):
        await host.start(stuck)
    assert time.perf_counter() - t < 3 and host.ready(stuck) is None
    await asyncio.sleep(0)  # the done-callback records the error
    assert "took over" in (host.error or "")
    host.load_timeout = 120
    engine = await asyncio.wait_for(host.start(options), 120)  # fixing model.path recovers
    assert host.ready(options) is engine and host.error is None
    # Opening and closing a writer ends the stuck read (EOF), so shutdown need not wait out
    # EXIT_WAIT for the load thread.
    os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    t = time.perf_counter()
    host.shutdown()
    assert time.perf_counter() - t < 5


def test_telemetry_on_a_full_disk_turns_off_with_one_warning() -> None:
    warnings: list[str] = []
    telemetry = Telemetry(Path("/dev/full"))
    telemetry.warn = warnings.append
    for _ in range(3):
        telemetry.write({"event": "shown"})  # was an OSError out of close(): InternalError
    assert not telemetry.enabled and len(warnings) == 1 and "No space" in warnings[0]


def test_telemetry_is_private_and_has_no_text_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "state" / "entropy-complete" / "telemetry.jsonl"
    path.parent.mkdir(parents=True)
    path.touch(mode=0o644)  # an older version's file
    telemetry = Telemetry(path)
    telemetry.write({"event": "accept", "id": "a", "confidence": 0.5})
    telemetry.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    fresh = tmp_path / "new" / "telemetry.jsonl"
    Telemetry(fresh).write({"event": "x"})
    assert stat.S_IMODE(fresh.parent.stat().st_mode) == 0o700
    assert "text" not in json.loads(path.read_text().splitlines()[-1])


async def test_shutdown_waits_for_a_load_in_progress_within_a_bound() -> None:
    started, release = threading.Event(), threading.Event()
    loading: list[threading.Thread] = []

    def slow(o):  # a load still running when the editor says exit
        loading.append(threading.current_thread())
        started.set()
        release.wait(0.5)
        return load_engine(o)

    host = ModelHost(slow)
    pending = host.start(Options().model)
    await asyncio.sleep(0)  # the load thread starts
    assert started.wait(5)
    host.shutdown()  # returns once the load has ended, so the process never exits mid-load
    assert loading and not loading[0].is_alive()
    assert pending.done() or await asyncio.wait_for(pending, 5)

    started.clear()
    stuck = ModelHost(lambda o: (started.set(), release.wait(30), load_engine(o))[2])
    release.clear()
    stuck.start(Options().model)
    await asyncio.sleep(0)
    assert started.wait(5)
    t = time.perf_counter()
    stuck.shutdown(wait=0.2)  # a load that does not end is left behind after the bound
    assert 0.15 < time.perf_counter() - t < 2
    release.set()


async def test_memory_goes_back_after_a_pause_not_between_keystrokes(monkeypatch) -> None:
    """glibc's malloc_trim runs once per pause, on the model thread, never during a burst."""
    import lsp_server.model_host as mh

    real = mh.MALLOC_TRIM
    if real is None:
        pytest.skip("no glibc malloc_trim here")
    trims: list[str] = []

    def trim(pad: int) -> int:
        trims.append(threading.current_thread().name)
        return real(pad)  # the real call: it must not fail

    monkeypatch.setattr(mh, "MALLOC_TRIM", trim)
    monkeypatch.setattr(mh, "IDLE_TRIM_S", 0.5)
    host = ModelHost()
    for _ in range(4):  # a burst of calls 0.1 s apart: no trim in between
        assert await host.run(sum, [1, 2]) == 3
        await asyncio.sleep(0.1)
    assert trims == [] and host.trims == 0
    await asyncio.sleep(1.0)  # one trim per pause, however long it lasts
    assert host.trims == 1 and len(trims) == 1 and trims[0].startswith("entropy-model")
    # Overlapping calls (a request superseding one still queued): one trim, after the last.
    await asyncio.gather(*(host.run(time.sleep, 0.1) for _ in range(3)))
    assert len(trims) == 1
    await asyncio.sleep(1.0)
    assert len(trims) == 2 and host.trims == 2
    await host.run(sum, [1])
    host.shutdown()  # a trim still pending when the server stops is dropped
    await asyncio.sleep(0.7)
    assert len(trims) == 2
