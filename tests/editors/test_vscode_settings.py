"""The VS Code extension's settings and languages come from the server: package.json's
`contributes.configuration` is the server's option table (plus the extension's own settings),
the bounds it shows are the ones the server enforces, and it starts for the registry's languages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from grammars.registry import LANGUAGES
from lsp_server.__main__ import main
from lsp_server.cli.options import settings_schema
from lsp_server.config import _IGNORED_KEYS, SECTION, Options, parse

VSCODE = Path(__file__).resolve().parents[2] / "editors" / "vscode"
PACKAGE = json.loads((VSCODE / "package.json").read_text())
CLIENT = json.loads((VSCODE / "scripts" / "client-settings.json").read_text())
SCHEMA = settings_schema()
SERVER_PROPERTIES = {k: v for c in SCHEMA for k, v in c["properties"].items()}


def nested(flat: dict[str, Any]) -> dict[str, Any]:
    """`entropyComplete.a.b: v` -> {"a": {"b": v}}: the section as VS Code hands it over."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.removeprefix(SECTION + ".").split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return out


def test_package_json_settings_are_the_servers_options() -> None:
    # Regenerate with: cd editors/vscode && node scripts/settings.mjs
    assert PACKAGE["contributes"]["configuration"] == [CLIENT, *SCHEMA]


def test_cli_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["options", "--schema"]) == 0
    assert json.loads(capsys.readouterr().out) == SCHEMA
    assert main(["options"]) == 0
    defaults = json.loads(capsys.readouterr().out)
    assert parse(defaults) == (Options(), [])


def test_the_whole_section_with_defaults_parses_to_the_defaults() -> None:
    # What VS Code holds for entropyComplete.* when the user changed nothing, client keys too:
    # the server ignores the extension's own settings and reads every default as its own.
    everything = {k: v["default"] for k, v in SERVER_PROPERTIES.items()}
    everything.update({k: v["default"] for k, v in CLIENT["properties"].items()})
    assert parse(nested(everything)) == (Options(), [])
    client_roots = {k.removeprefix(SECTION + ".").split(".")[0] for k in CLIENT["properties"]}
    assert client_roots <= set(_IGNORED_KEYS)
    assert not client_roots & set(nested(SERVER_PROPERTIES))


def _bound_cases() -> list[tuple[str, Any, bool]]:
    cases = []
    for key, prop in SERVER_PROPERTIES.items():
        step = 1 if prop["type"] == "integer" else 0.01
        if "minimum" in prop:
            cases += [(key, prop["minimum"], True), (key, prop["minimum"] - step, False)]
        if "exclusiveMinimum" in prop:
            cases += [(key, prop["exclusiveMinimum"], False)]
            cases += [(key, prop["exclusiveMinimum"] + step, True)]
        if "maximum" in prop:
            cases += [(key, prop["maximum"], True), (key, prop["maximum"] + step, False)]
        for value in prop.get("enum", ()):
            cases.append((key, value, True))
        if "enum" in prop:
            cases.append((key, "not-a-choice", False))
    return cases


@pytest.mark.parametrize(("key", "value", "valid"), _bound_cases())
def test_schema_bounds_are_the_servers_checks(key: str, value: Any, valid: bool) -> None:
    if SERVER_PROPERTIES[key]["type"] == "integer":
        value = int(value)
    options, problems = parse(nested({key: value}))
    assert (problems == []) is valid, (key, value, problems)


def test_every_option_has_a_description_and_its_default() -> None:
    for key, prop in SERVER_PROPERTIES.items():
        assert prop["markdownDescription"].strip(), key
    assert parse(nested({k: v["default"] for k, v in SERVER_PROPERTIES.items()}))[0] == Options()


def test_the_extension_starts_for_the_registry_languages() -> None:
    events = PACKAGE["activationEvents"]
    languages = {e.removeprefix("onLanguage:") for e in events if e.startswith("onLanguage:")}
    assert languages == {lid for spec in LANGUAGES.values() for lid in spec.language_ids}


def test_configuration_reference_is_generated_and_current() -> None:
    # docs/configuration.md is `entropy-complete options --markdown`: regenerate it when an
    # option changes (the same table the VS Code settings come from).
    from lsp_server.cli.options import markdown

    doc = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
    assert doc.read_text(encoding="utf-8") == markdown(), (
        "docs/configuration.md is stale: entropy-complete options --markdown > docs/configuration.md"
    )
