"""The flagger on obfuscated and ordinary variants of dangerous calls, and on look-alikes.

The labelled set is ``bench/data/flag_variants.json`` (Python): import aliases, getattr and
__import__ forms, SQL text and ``**kwargs`` built on an earlier line, session attributes, and
harmless code that reads the same way (``import json as pickle``, SQL with parameters).
"""

from __future__ import annotations

import pytest

from bench.flags import bandit_found, evaluate, load_snippets
from grammars import is_valid
from ranking import RuleSet, find_flags

VARIANTS = load_snippets("flag_variants.json")


def _rates(report: dict) -> tuple[float, float]:
    sn = report["snippet"]
    return sn["recall"], sn["fp"] / report["negatives"]


def test_the_labelled_set() -> None:
    rules = RuleSet.default()
    assert len({s.id for s in VARIANTS}) == len(VARIANTS)
    assert sum(1 for s in VARIANTS if s.expect) >= 40
    assert sum(1 for s in VARIANTS if not s.expect) >= 20
    for s in VARIANTS:
        assert s.language == "python" and is_valid(s.code, "python"), s.id
        assert s.expect <= set(rules.rules), s.id


def test_recall_and_false_positive_rate() -> None:
    report = evaluate(VARIANTS)
    recall, fpr = _rates(report)
    summary = f"recall {recall:.3f}, FPR {fpr:.3f}; missed {report['missed']}, " + (
        f"false alarms {report['false_alarms']}"
    )
    assert recall >= 0.9, summary
    assert fpr <= 0.05, summary
    assert report["rule"]["recall"] >= 0.9, report["rule"]  # and the right rule, not any rule


def test_ours_against_bandit() -> None:
    """Bandit on the same snippets (its checks mapped to our rules through `Rule.bandit`)."""
    pytest.importorskip("bandit")
    ours, bandit = evaluate(VARIANTS), evaluate(VARIANTS, found=bandit_found(VARIANTS))
    (our_recall, our_fpr), (their_recall, their_fpr) = _rates(ours), _rates(bandit)
    assert their_recall > 0.5  # the mapping works: Bandit does catch the plain forms
    assert our_recall > their_recall and our_fpr <= their_fpr, (ours["snippet"], bandit["snippet"])


@pytest.mark.parametrize(
    ("document", "inserted", "rule", "span"),
    [
        ("import subprocess as sp\n", "sp.run(cmd, shell=True)\n", "py.subprocess-shell", 23),
        ("from os import system as s\n", "s(cmd)\n", "py.shell-command", 6),
        ("import os\n", "getattr(os, 'system')(cmd)\n", "py.shell-command", 26),
        ("q = f'SELECT {x}'\n", "cur.execute(q)\n", "py.sql-format", 14),
        ("kw = dict(verify=False)\n", "requests.get(u, **kw)\n", "py.tls-no-verify", 21),
    ],
)
def test_flags_point_at_the_call_as_written(
    document: str, inserted: str, rule: str, span: int
) -> None:
    [flag] = find_flags(document, len(document), inserted, "python", [0], [0.1])
    assert (flag.rule, flag.start, flag.end) == (rule, 0, span)


def test_a_binding_after_the_call_or_in_another_scope_does_not_count() -> None:
    later = "cur.execute(q)\nq = f'SELECT {x}'\n"
    assert find_flags("", 0, later, "python", [0], [0.1]) == []
    other = "def a():\n    q = f'SELECT {x}'\n\n\ndef b():\n    "
    assert find_flags(other, len(other), "cur.execute(q)\n", "python", [0], [0.1]) == []
    shadowed = "import json as pickle\n"
    assert find_flags(shadowed, len(shadowed), "pickle.loads(s)\n", "python", [0], [0.1]) == []


# Node code names modules as it likes; ranking.resolve_js writes the call with the module's name.
JS_ALIASES = [
    ("javascript", "const proc = require('child_process');\n", "proc.exec(cmd);\n", "js.child-process"),
    ("javascript", "const { exec: run } = require('node:child_process');\n", "run(cmd);\n", "js.child-process"),
    ("javascript", "const ex = require('child_process').exec;\n", "ex(cmd);\n", "js.child-process"),
    ("javascript", "import { exec } from 'child_process';\n", "exec(`ls ${dir}`);\n", "js.child-process"),
    ("javascript", "import * as sandbox from 'vm';\n", "sandbox.runInNewContext(code);\n", "js.vm-run"),
    ("javascript", "const fsp = require('fs/promises');\n", "await fsp.rm(dir);\n", "js.fs-delete"),
    ("typescript", "import { rmSync as wipe } from 'node:fs';\n", "wipe(dir);\n", "js.fs-delete"),
    ("typescript", "import cp = require('child_process');\n", "cp.execSync(cmd);\n", "js.child-process"),
    ("tsx", "import proc from 'child_process';\n", "proc.exec(cmd);\n", "js.child-process"),
    ("javascript", "const { exec } = await import('node:child_process');\n", "exec(cmd);\n", "js.child-process"),
    ("typescript", "const sandbox = await import('vm');\n", "sandbox.runInThisContext(code);\n", "js.vm-run"),
]  # fmt: skip
JS_LOOKALIKES = [
    ("javascript", "const db = require('./db');\n", "db.exec(sql);\n"),
    ("javascript", "import { exec } from './shell';\n", "exec(cmd);\n"),
    ("javascript", "const re = /a+/;\n", "re.exec(s);\n"),
    ("javascript", "const { spawn } = require('child_process');\n", "spawn('ls', ['-l']);\n"),
    ("typescript", "import vm from 'vm';\n", "vm.isContext(sandbox);\n"),
    ("javascript", "proc.exec(cmd);\n", "const proc = require('child_process');\n"),
    ("javascript", "const proc = require('child_process');\nfunction run(proc) {\n  ", "proc.exec(cmd);\n"),
    ("typescript", "import proc from 'child_process';\nconst go = (proc: Db) => ", "proc.exec(sql);\n"),
    ("javascript", "const proc = require('child_process');\nconst f = ({ proc }) => ", "proc.exec(sql);\n"),
]  # fmt: skip


@pytest.mark.parametrize(("language", "document", "inserted", "rule"), JS_ALIASES)
def test_javascript_module_aliases_are_resolved(
    language: str, document: str, inserted: str, rule: str
) -> None:
    assert is_valid(document + inserted, language)
    [flag] = find_flags(document, len(document), inserted, language, [0], [0.1])
    # On the call as written (the statement's `;` and an `await` are not part of it).
    call = inserted.removeprefix("await ").rstrip(";\n")
    assert (flag.rule, inserted[flag.start : flag.end]) == (rule, call)


@pytest.mark.parametrize(("language", "document", "inserted"), JS_LOOKALIKES)
def test_javascript_look_alikes_stay_quiet(language: str, document: str, inserted: str) -> None:
    """Local modules, other `exec` methods, spawn without a shell, a binding after the call, a
    parameter that hides the module's name."""
    assert find_flags(document, len(document), inserted, language, [0], [0.1]) == []


@pytest.mark.parametrize(
    ("code", "flagged"),
    [
        ("setTimeout('tick()', 100);\n", True),
        ("setInterval(`poll(${id})`, 1000);\n", True),
        ('window.setTimeout("step(" + n + ")", 5);\n', True),
        ("setTimeout(() => tick(), 100);\n", False),
        ("setTimeout(tick, 100);\n", False),
        ("setTimeout(step.bind(null, 'x'), 10);\n", False),
    ],
)
def test_a_timer_given_a_string_is_eval(code: str, flagged: bool) -> None:
    flags = find_flags("", 0, code, "javascript", [0], [0.1])
    assert [f.rule for f in flags] == (["js.eval"] if flagged else [])


def test_a_parameter_whose_default_names_the_module_does_not_hide_it() -> None:
    document = "const proc = require('child_process');\nfunction f(x = proc) {\n  "
    [flag] = find_flags(document, len(document), "proc.exec(cmd);\n}\n", "javascript", [0], [0.1])
    assert flag.rule == "js.child-process"
