"""Local telemetry: one JSONL event per shown suggestion and per accept, in the user's state
directory, bounded in size; no source text unless the user opts in."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import platformdirs

from completion import GenerationTimings
from ranking import flag_record

from .cache import Item

log = logging.getLogger(__name__)
APP = "entropy-complete"
FILE_NAME = "telemetry.jsonl"


def default_path() -> Path:
    """``<user state dir>/entropy-complete/telemetry.jsonl`` (XDG_STATE_HOME on Linux)."""
    return Path(platformdirs.user_state_dir(APP, appauthor=False)) / FILE_NAME


def rotated(path: Path) -> Path:
    return path.with_name(path.name + ".1")


def latency_ms(
    timings: GenerationTimings, total: float, waited: float | None = None
) -> dict[str, float]:
    """The request's time by stage, in ms; ``prefill`` is 0 where the engine does not split it;
    ``waited``: from the editor's request to its answer (what the user waited)."""
    out = {
        "prompt": round(timings.prompt * 1000, 2),
        "prefill": round(timings.first_token * 1000, 2),
        "decode": round((timings.generate - timings.first_token) * 1000, 2),
        "entropy": round(timings.entropy * 1000, 2),
        "postprocess": round(timings.postprocess * 1000, 2),
        "rank": round(timings.rank * 1000, 2),
        "total": round(total * 1000, 2),
    }
    if waited is not None:
        out["waited"] = round(waited * 1000, 2)
    return out


def flag_records(item: Item) -> list[dict[str, Any]]:
    return [flag_record(f, "rule", "cwe", "entropy", "review_required") for f in item.flags]


class Telemetry:
    """Appends events to a JSONL file; when it passes half the budget it becomes ``.1``.

    The current file and its one predecessor together stay under ``max_bytes``; the file is
    0600 in a 0700 directory (it says what a user accepted, and when). Any write error (an
    unwritable path, a full disk) turns telemetry off for the session with one warning
    (``warn``; the server shows it) rather than disturb completion.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        enabled: bool = True,
        include_text: bool = False,
        max_bytes: int = 5_000_000,
    ) -> None:
        self.path = path or default_path()
        self.enabled = enabled
        self.include_text = include_text
        self.max_bytes = max_bytes
        self._fh: IO[str] | None = None
        self.model_id = ""
        self.warn: Callable[[str], None] = log.warning

    def configure(self, *, enabled: bool, include_text: bool, max_bytes: int) -> None:
        self.enabled, self.include_text, self.max_bytes = enabled, include_text, max_bytes
        if not enabled:
            self.close()

    def _open(self) -> IO[str]:
        if self._fh is None:
            folder = self.path.parent
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if folder == default_path().parent:
                folder.chmod(0o700)  # our own folder, also when an older version made it 0755
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.fchmod(fd, 0o600)  # a file made 0644 before keeps its mode otherwise
            self._fh = os.fdopen(fd, "a", encoding="utf-8")
        return self._fh

    def write(self, event: dict[str, Any]) -> None:
        if not self.enabled:
            return
        record = {"ts": round(time.time(), 3), "model": self.model_id, **event}
        line = json.dumps(record, separators=(",", ":")) + "\n"
        try:
            fh = self._open()
            if fh.tell() + len(line) > self.max_bytes // 2:
                self.close()
                os.replace(self.path, rotated(self.path))
                fh = self._open()
            fh.write(line)
            fh.flush()
        except Exception as exc:  # noqa: BLE001 - telemetry must never fail a request
            self.enabled = False
            self.close()
            self.warn(f"telemetry turned off for this session: cannot write {self.path}: {exc}")

    def shown(
        self,
        request_id: str,
        items: tuple[Item, ...],
        *,
        trigger: str,
        language: str | None,
        timings: GenerationTimings,
        total: float,
        n_samples: int,
        grounding: dict[str, Any] | None = None,
        gave_up_at: int = 0,
        ahead: bool = False,
        waited: float | None = None,
    ) -> None:
        """One event per suggestion shown (an abstention is one event with no suggestion);
        ``grounding``: what workspace grounding did for the request; ``gave_up_at``: the
        decoding steps after which no candidate could be shown any more (0: decoded to the end);
        ``ahead``: started before the editor asked (speculation.py), so the stages began
        before the request did; ``waited``: seconds from the editor's request to the answer."""
        common = {
            "request": request_id,
            "trigger": trigger,
            "language": language,
            "samples": n_samples,
            "latency_ms": latency_ms(timings, total, waited),
        }
        if grounding is not None:
            common["grounding"] = grounding
        if gave_up_at:
            common["gave_up_at"] = gave_up_at
        if ahead:
            common["started_before_asked"] = True
        if not items:
            self.write({"event": "abstain", **common})
        for rank, item in enumerate(items):
            event = {
                "event": "shown",
                **common,
                "id": item.id,
                "rank": rank,
                "confidence": round(item.confidence, 4),
                "mean_entropy": round(item.mean_entropy, 4),
                "max_entropy": round(item.max_entropy, 4),
                "mean_logprob": round(item.mean_logprob, 4),
                "syntax_ok": item.syntax_ok,
                "agreement": round(item.agreement, 4),
                "chars": len(item.full_text),
                "flags": flag_records(item),
                "review_required": item.review_required,
            }
            if self.include_text:
                event["text"] = item.full_text
            self.write(event)

    def close(self) -> None:
        """Closes the file; a close that fails (its flush on a full disk) loses only the
        buffered line, never the caller's request."""
        fh, self._fh = self._fh, None
        if fh is not None:
            try:
                fh.close()
            except OSError as exc:
                log.debug("telemetry close failed: %s", exc)
