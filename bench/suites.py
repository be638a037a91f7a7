"""The benchmark's suite names, in a module of their own so that the command line can offer them
without importing the suites (``bench.run`` maps each name to what it runs)."""

from __future__ import annotations

MODEL_SUITE_NAMES = ("humaneval-single", "humaneval-multi", "lines")  # run the model per task
REPO_SUITE = "repo"  # cross-file lines, four contexts side by side (bench/repo_suite.py)
STATIC_SUITE_NAMES = ("flags",)  # no model: labelled snippets through the flagger
SUITES = (*MODEL_SUITE_NAMES, REPO_SUITE, *STATIC_SUITE_NAMES)
ENGINE_SUITES = (*MODEL_SUITE_NAMES, REPO_SUITE)
