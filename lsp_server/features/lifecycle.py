"""This implements initialize/initialized/shutdown, settings (initializationOptions and
workspace/didChangeConfiguration), model loading with $/progress, and entropyComplete/stats."""

from __future__ import annotations

import dataclasses
import os
import uuid
from typing import Any

from lsprotocol import types

from completion.fim import format_of
from grammars import RuleError
from ranking import ConfidenceModel, RuleSet
from ranking.confidence import calibration_problem

from ..config import SECTION, Options, camel, parse, section_of, to_wire
from ..state import EntropyServer

STATS = "entropyComplete/stats"


def apply_settings(ls: EntropyServer, raw: Any, where: str) -> Options:
    """Parses and applies settings; every problem goes into one showMessage, defaults stand in."""
    options, problems = parse(section_of(raw))
    notes = []
    if problems:
        notes.append(f"invalid {where}, using the defaults: {'; '.join(problems)}")
    rules = RuleSet.default()
    if options.review.extra_rules:
        try:
            rules = rules.extended(os.path.expanduser(options.review.extra_rules))
        except RuleError as exc:
            notes.append(f"extra rules not loaded, using the shipped rules: {exc}")
    # None: the loaded model's own calibration for its prompt layout (ranking.confidence).
    confidence: ConfidenceModel | None = None
    if options.model.confidence_model:
        try:
            confidence = ConfidenceModel.load(os.path.expanduser(options.model.confidence_model))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            notes.append(f"confidence model not loaded, using the model's own: {exc}")
    if notes:
        ls.message(" | ".join(notes))
    t = options.telemetry
    ls.telemetry.configure(enabled=t.enabled, include_text=t.include_text, max_bytes=t.max_bytes)
    ls.suggester.configure(options, rules, confidence)
    if ls.started and ls.models.needs_load(options.model):
        ls.spawn(load_model(ls))
    return options


def _supports_progress(ls: EntropyServer) -> bool:
    window = ls.client_capabilities.window
    return bool(window and window.work_done_progress)


async def load_model(ls: EntropyServer) -> None:
    """Loads the model off the event loop, reporting $/progress; on failure one message, and
    the server keeps running (completion requests answer empty)."""
    options = ls.suggester.options.model
    load = ls.models.start(options)
    name = options.path or "the shipped model"
    token: str | None = None
    if _supports_progress(ls):
        token = f"entropy-complete/load-model/{uuid.uuid4().hex[:8]}"
        try:
            await ls.work_done_progress.create_async(token)
            ls.work_done_progress.begin(
                token,
                types.WorkDoneProgressBegin(title="entropy-complete", message=f"loading {name}"),
            )
        except Exception:  # a client that refuses progress still gets completions
            token = None
    try:
        engine = await load
    except Exception as exc:
        if token:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message="model not loaded"))
        if load is ls.models.current_load:
            ls.message(
                f"cannot load the model: {ls.models.error or exc}. Completions are off until "
                f"'{SECTION}.model.path' names a CTranslate2 model directory (empty: the "
                "shipped model).",
                types.MessageType.Error,
            )
        return
    ls.telemetry.model_id = engine.info.model_id
    ls.suggester.cache.clear()
    layout = format_of(engine.prompt_template)
    if ls.suggester.confidence is None and (
        problem := calibration_problem(engine.info.path, layout)
    ):
        ls.message(problem)  # completions go on with the uncalibrated priors
    if token:
        info = engine.info
        done = f"{info.model_id} ({info.family}) on {info.device}/{info.compute_type}, {ls.models.load_seconds:.1f} s"
        ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=f"model ready: {done}"))


def _model_name(path: str) -> str:
    """What a status bar names: the shipped model, or the configured directory's name."""
    return os.path.basename(os.path.normpath(os.path.expanduser(path))) if path else "shipped model"


def register(server: EntropyServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: EntropyServer, params: types.InitializeParams) -> None:
        """Reads initializationOptions; the model loads only after `initialized`."""
        ls.docs.set_encoding(ls.workspace.position_encoding)
        apply_settings(ls, params.initialization_options, "initializationOptions")

    @server.feature(types.INITIALIZED)
    async def initialized(ls: EntropyServer, params: types.InitializedParams) -> None:
        """Starts loading the model in the background, so `initialize` answered at once."""
        ls.started = True
        for work in ls.startup:
            ls.spawn(work(ls))
        if ls.models.needs_load(ls.suggester.options.model):
            # In the background, not awaited here: a client that leaves while the model loads
            # cancels this handler, and pygls logs a cancelled handler as a traceback.
            ls.spawn(load_model(ls))

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: EntropyServer, params: types.DidChangeConfigurationParams
    ) -> None:
        """Pushed settings, or a nudge to pull them with workspace/configuration."""
        settings = params.settings
        workspace = ls.client_capabilities.workspace
        if settings is None and workspace is not None and workspace.configuration:
            pulled = await ls.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
            )
            settings = pulled[0] if pulled else None
        apply_settings(ls, settings, "settings")

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: EntropyServer, params: None) -> None:
        """Stops generations and the model thread, and closes the telemetry file."""
        ls.release()

    @server.feature(STATS)
    def stats(ls: EntropyServer, params: Any) -> dict[str, Any]:
        """Counters and state for troubleshooting (and for the tests)."""
        engine = ls.models.engine
        return {
            **{camel(k): v for k, v in dataclasses.asdict(ls.suggester.stats).items()},
            "modelLoaded": engine is not None,
            "modelError": ls.models.error,
            "modelId": engine.info.model_id if engine else None,
            "modelName": _model_name(ls.suggester.options.model.path) if engine else None,
            "cacheEntries": len(ls.suggester.cache),
            "memoryTrims": ls.models.trims,
            "telemetryPath": str(ls.telemetry.path) if ls.telemetry.enabled else None,
            "options": to_wire(ls.suggester.options),
        }
