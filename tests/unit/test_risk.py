"""Tests for sensitive-API rules and review flags on real tree-sitter parses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grammars import RuleError
from ranking.risk import ReviewFlag, Rule, RuleSet, find_flags

DATA = Path(__file__).parent.parent / "data" / "risk"

# (snippet, rule id it must raise, or None: it must raise nothing)
PYTHON = [
    ("subprocess.run(cmd, shell=True)", "py.subprocess-shell"),
    ("subprocess.Popen(cmd, shell=True, stdout=PIPE)", "py.subprocess-shell"),
    ("check_output(cmd, shell=True)", "py.subprocess-shell"),
    ('subprocess.run(["ls", "-l"])', None),
    ("subprocess.run(cmd, shell=False)", None),
    ("os.system(cmd)", "py.shell-command"),
    ("os.popen(cmd).read()", "py.shell-command"),
    ('os.execvp("ls", args)', "py.os-exec"),
    ("os.spawnl(os.P_WAIT, path)", "py.os-exec"),
    ("os.path.join(a, b)", None),
    ("eval(expr)", "py.eval"),
    ("exec(code)", "py.exec"),
    ('compile(src, "<x>", "exec")', "py.compile"),
    ("ast.literal_eval(expr)", None),
    ('re.compile("a+")', None),
    ("pickle.loads(blob)", "py.pickle"),
    ("cPickle.load(f)", "py.pickle"),
    ("dill.loads(blob)", "py.pickle"),
    ("shelve.open(path)", "py.pickle"),
    ("marshal.loads(blob)", "py.marshal"),
    ("pickle.dumps(obj)", None),
    ("json.loads(blob)", None),
    ("yaml.load(s)", "py.yaml-load"),
    ("yaml.load(s, Loader=yaml.Loader)", "py.yaml-load"),
    ("yaml.unsafe_load(s)", "py.yaml-load"),
    ("yaml.load(s, Loader=SafeLoader)", None),
    ("yaml.load(s, Loader=yaml.SafeLoader)", None),
    ("yaml.load(s, Loader=yaml.CSafeLoader)", None),
    ("yaml.safe_load(s)", None),
    ("torch.load(path)", "py.torch-load"),
    ("torch.load(path, weights_only=True)", None),
    ("hashlib.md5(data).hexdigest()", "py.weak-hash"),
    ("hashlib.sha1(data)", "py.weak-hash"),
    ('hashlib.new("md5", data)', "py.weak-hash"),
    ("hashlib.new('SHA1')", "py.weak-hash"),
    ("hashlib.md5(data, usedforsecurity=False)", None),
    ("hashlib.sha256(data)", None),
    ('hashlib.new("sha256")', None),
    ("requests.get(url, verify=False)", "py.tls-no-verify"),
    ("httpx.Client(verify=False)", "py.tls-no-verify"),
    ("session.post(url, json=body, verify=False)", "py.tls-no-verify"),
    ("requests.get(url, timeout=5)", None),
    ("requests.get(url, verify=True)", None),
    ('cur.execute(f"SELECT * FROM users WHERE id = {uid}")', "py.sql-format"),
    ('cur.execute("SELECT * FROM users WHERE id = %s" % uid)', "py.sql-format"),
    ('cur.execute("SELECT * FROM users WHERE name = \'" + name + "\'")', "py.sql-format"),
    ('cur.executemany("INSERT INTO t VALUES ({})".format(v), rows)', "py.sql-format"),
    ('cur.execute("SELECT * FROM users WHERE id = ?", (uid,))', None),
    ('cur.execute("SELECT * FROM users WHERE id = %s", (uid,))', None),
    ('cur.execute(f"SELECT 1")', None),
    ("shutil.rmtree(path)", "py.file-delete"),
    ("os.remove(path)", "py.file-delete"),
    ("os.unlink(path)", "py.file-delete"),
    ("Path(p).unlink(missing_ok=True)", "py.file-delete"),
    ("out_dir.rmdir()", "py.file-delete"),
    ("os.rename(a, b)", None),
    ("tempfile.mktemp()", "py.mktemp"),
    ("tempfile.mkstemp()", None),
    ("random.randint(0, 9)", "py.random"),
    ("random.choice(alphabet)", "py.random"),
    ("secrets.choice(alphabet)", None),
    ("np.random.randint(0, 9)", None),
    ("random.SystemRandom()", None),
]

ECMA = [
    ("child_process.exec(cmd);", "js.child-process"),
    ("cp.execSync(cmd);", "js.child-process"),
    ('require("child_process").exec(cmd, cb);', "js.child-process"),
    ("execSync(`ls ${dir}`);", "js.child-process"),
    ('spawn("sh", args, { shell: true });', "js.child-process"),
    ("re.exec(text);", None),
    ("exec(cmd);", None),
    ('spawn("ls", ["-l"]);', None),
    ("eval(src);", "js.eval"),
    ("window.eval(src);", "js.eval"),
    ("evaluate(src);", None),
    ('new Function("a", body);', "js.new-function"),
    ("new Foo(body);", None),
    ("vm.runInNewContext(src, ctx);", "js.vm-run"),
    ("new vm.Script(src);", "js.vm-run"),
    ("vm.isContext(ctx);", None),
    ("el.innerHTML = html;", "js.inner-html"),
    ("el.outerHTML += html;", "js.inner-html"),
    ('el.insertAdjacentHTML("beforeend", html);', "js.inner-html"),
    ("el.textContent = text;", None),
    ("const h = el.innerHTML;", None),
    ("document.write(html);", "js.document-write"),
    ("document.writeln(html);", "js.document-write"),
    ("document.getElementById(id);", None),
    (
        'React.createElement("div", { dangerouslySetInnerHTML: { __html: h } });',
        "js.dangerous-html",
    ),
    ("fs.rmSync(dir, { recursive: true });", "js.fs-delete"),
    ("fs.unlink(path, cb);", "js.fs-delete"),
    ("fs.promises.rm(dir);", "js.fs-delete"),
    ("fs.readFileSync(path);", None),
    ('crypto.createHash("md5").update(s);', "js.weak-hash"),
    ("crypto.createHash('sha1');", "js.weak-hash"),
    ("crypto.createHash('sha256');", None),
    ("new https.Agent({ rejectUnauthorized: false });", "js.tls-no-verify"),
    (
        "axios.get(url, { httpsAgent: new https.Agent({ rejectUnauthorized: false }) });",
        "js.tls-no-verify",
    ),
    ('process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";', "js.tls-no-verify"),
    ("new https.Agent({ rejectUnauthorized: true });", None),
]

JSX = [
    ("const a = <div dangerouslySetInnerHTML={{ __html: h }} />;", "js.dangerous-html"),
    ("const a = <div className={c}>{text}</div>;", None),
]

C = [
    ("system(cmd);", "c.shell-command"),
    ('FILE *p = popen(cmd, "r");', "c.shell-command"),
    ('system("clear");', None),
    ("gets(buf);", "c.unbounded-copy"),
    ("strcpy(buf, argv[1]);", "c.unbounded-copy"),
    ('sprintf(buf, "%s", argv[1]);', "c.unbounded-copy"),
    ("strncpy(buf, argv[1], sizeof buf - 1);", None),
    ('snprintf(buf, sizeof buf, "%s", argv[1]);', None),
    ("printf(argv[1]);", "c.format-string"),
    ("fprintf(stderr, msg);", "c.format-string"),
    ('printf("%s", argv[1]);', None),
    ('fprintf(stderr, "%s", msg);', None),
    ("MD5(data, n, out);", "c.weak-crypto"),
    ("SHA256(data, n, out);", None),
    ("SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);", "c.tls-no-verify"),
    ("curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);", "c.tls-no-verify"),
    ("SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);", None),
    ("curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);", None),
]

JAVA = [
    ("Runtime.getRuntime().exec(cmd);", "java.command-exec"),
    ('Runtime.getRuntime().exec("ls");', None),
    ('Runtime.getRuntime().exec("convert " + file);', "java.command-exec"),
    ('new ProcessBuilder("sh", "-c", cmd).start();', "java.command-exec"),
    ('new ProcessBuilder("git", "log").start();', None),
    ('stmt.executeQuery("SELECT * FROM t WHERE id = " + id);', "java.sql-concat"),
    ('stmt.executeUpdate(String.format("DELETE FROM t WHERE id = %s", id));', "java.sql-concat"),
    ('conn.prepareStatement("SELECT * FROM t WHERE id = ?");', None),
    ('log.info("select " + x);', None),
    ('MessageDigest.getInstance("MD5");', "java.weak-crypto"),
    ('Cipher.getInstance("DES/ECB/PKCS5Padding");', "java.weak-crypto"),
    ('MessageDigest.getInstance("SHA-256");', None),
    ('Cipher.getInstance("AES/GCM/NoPadding");', None),
    ("new ObjectInputStream(in).readObject();", "java.deserialize"),
    ("mapper.readValue(json, Foo.class);", None),
]

RUST = [
    ('Command::new("sh").arg("-c").arg(cmd).output();', "rust.shell-command"),
    ('std::process::Command::new("bash").arg("-c").arg(&s).status();', "rust.shell-command"),
    ('Command::new("git").arg("log").output();', None),
    ("reqwest::Client::builder().danger_accept_invalid_certs(true).build();", "rust.tls-no-verify"),
    ("reqwest::Client::builder().danger_accept_invalid_certs(false).build();", None),
    ('sqlx::query(&format!("SELECT * FROM t WHERE id = {}", id));', "rust.sql-format"),
    ('client.execute(&format!("DELETE FROM t WHERE id = {}", id), &[]);', "rust.sql-format"),
    ('sqlx::query("SELECT * FROM t WHERE id = $1").bind(id);', None),
    ('println!("{}", format!("x {}", y));', None),
    ("md5::compute(data);", "rust.weak-crypto"),
    ("Sha1::new();", "rust.weak-crypto"),
    ("Sha256::digest(data);", None),
]

GO = [
    ('exec.Command("sh", "-c", cmd)', "go.shell-command"),
    ('exec.Command("/bin/bash", "-c", "tar xf " + archive)', "go.shell-command"),
    ('exec.CommandContext(ctx, "cmd.exe", "/c", line)', "go.shell-command"),
    ('exec.Command("git", "log", ref)', None),
    ('exec.Command("sh", script)', None),
    ('db.Query(fmt.Sprintf("SELECT * FROM t WHERE id = %s", id))', "go.sql-format"),
    ('tx.Exec("DELETE FROM t WHERE id = " + id)', "go.sql-format"),
    ('db.QueryContext(ctx, "SELECT " + cols + " FROM t")', "go.sql-format"),
    ("db.Exec(`UPDATE t SET a = 1 WHERE id = ` + id)", "go.sql-format"),
    ('db.Query("SELECT * FROM t WHERE id = $1", id)', None),
    ('log.Println(fmt.Sprintf("%d rows", n))', None),
    ("&tls.Config{InsecureSkipVerify: true}", "go.tls-no-verify"),
    ("&tls.Config{InsecureSkipVerify: false}", None),
    ("md5.Sum(data)", "go.weak-crypto"),
    ("sha1.New()", "go.weak-crypto"),
    ("des.NewCipher(key)", "go.weak-crypto"),
    ("sha256.Sum256(data)", None),
    ("os.RemoveAll(dir)", "go.fs-delete"),
    ('os.Remove("out.tmp")', None),
    ('os.Remove("/tmp/" + name)', "go.fs-delete"),
    ('template.HTML("<b>" + name + "</b>")', "go.unescaped-html"),
    ("template.HTML(bio)", "go.unescaped-html"),
    ('template.HTML("<b>hi</b>")', None),
]


def _rule_ids(text: str, language: str) -> list[str]:
    return [rule.id for rule, _, _ in RuleSet.default().find(text, language)]


@pytest.mark.parametrize(("snippet", "rule"), PYTHON)
def test_python_rules(snippet: str, rule: str | None) -> None:
    document = f"import os, subprocess\n{snippet}\n"
    assert _rule_ids(document, "python") == ([] if rule is None else [rule])


@pytest.mark.parametrize("language", ["javascript", "typescript", "tsx"])
@pytest.mark.parametrize(("snippet", "rule"), ECMA)
def test_ecma_rules(snippet: str, rule: str | None, language: str) -> None:
    assert _rule_ids(snippet, language) == ([] if rule is None else [rule])


@pytest.mark.parametrize("language", ["c", "cpp"])
@pytest.mark.parametrize(("snippet", "rule"), C)
def test_c_rules(snippet: str, rule: str | None, language: str) -> None:
    document = (
        f"int run(char *cmd, char **argv) {{\n    char buf[16];\n    {snippet}\n    return 0;\n}}\n"
    )
    assert _rule_ids(document, language) == ([] if rule is None else [rule])


def test_cpp_std_system() -> None:
    text = 'int f() {\n    std::system(cmd);\n    std::system("ls");\n    return 0;\n}\n'
    assert _rule_ids(text, "cpp") == ["c.shell-command"]


@pytest.mark.parametrize(("snippet", "rule"), JAVA)
def test_java_rules(snippet: str, rule: str | None) -> None:
    document = f"class A {{\n  void f() throws Exception {{\n    {snippet}\n  }}\n}}\n"
    assert _rule_ids(document, "java") == ([] if rule is None else [rule])


@pytest.mark.parametrize(("snippet", "rule"), RUST)
def test_rust_rules(snippet: str, rule: str | None) -> None:
    document = f"fn run() {{\n    let _ = {snippet}\n}}\n"
    assert _rule_ids(document, "rust") == ([] if rule is None else [rule])


@pytest.mark.parametrize(("snippet", "rule"), GO)
def test_go_rules(snippet: str, rule: str | None) -> None:
    document = f"package main\n\nfunc run() {{\n\tx := {snippet}\n\t_ = x\n}}\n"
    assert _rule_ids(document, "go") == ([] if rule is None else [rule])


def test_go_flags_follow_each_rules_review_policy() -> None:
    """A sure model (low entropy) still routes always-review rules to a human, not the rest."""
    document = "package main\n\nfunc run() {\n\tx := \n}\n"
    offset = document.index(":= ") + 3
    [shell] = find_flags(document, offset, 'exec.Command("sh", "-c", c)', "go", [0], [0.1])
    [crypto] = find_flags(document, offset, "md5.Sum(data)", "go", [0], [0.1])
    assert (shell.rule, shell.review_required, shell.start) == ("go.shell-command", True, 0)
    assert (crypto.rule, crypto.review_required) == ("go.weak-crypto", False)


@pytest.mark.parametrize("language", ["javascript", "tsx"])
@pytest.mark.parametrize(("snippet", "rule"), JSX)
def test_jsx_rules(snippet: str, rule: str | None, language: str) -> None:
    assert _rule_ids(snippet, language) == ([] if rule is None else [rule])


def test_typescript_casts_still_match() -> None:
    assert _rule_ids("(el as HTMLElement).innerHTML = html;", "typescript") == ["js.inner-html"]


def test_find_reports_char_spans_on_non_ascii_text() -> None:
    text = 'msg = "héllo 😀"\neval(msg)\n'
    [(rule, start, end)] = RuleSet.default().find(text, "python")
    assert rule.id == "py.eval" and text[start:end] == "eval(msg)"


def test_rules_table_matches_the_queries() -> None:
    rules = RuleSet.default().rules
    families = {rule for _, rule in PYTHON + ECMA + JSX + GO + C + JAVA + RUST if rule}
    assert families == set(rules)  # every shipped rule has a positive test above
    for rule in rules.values():
        assert rule.cwe.startswith("CWE-") and rule.message
    assert rules["py.subprocess-shell"] == Rule(
        "py.subprocess-shell", "CWE-78", "call to subprocess with shell=True", "B602", True
    )


def test_every_shipped_query_compiles_and_captures_rule_ids() -> None:
    # Queries compile on first use (a server's start compiles none); each must still be valid.
    rules = RuleSet.default()
    assert {"python", "javascript", "typescript", "go", "c", "cpp", "java", "rust"} <= set(
        rules.languages
    )
    for language in rules.languages:
        query = rules.query(language)
        assert query is not None and query.capture_count > 0, language
    assert rules.query("cobol") is None


# --- find_flags ----------------------------------------------------------------------------


def test_flag_spans_are_relative_to_the_inserted_text_and_clipped() -> None:
    document = "import subprocess\nsubprocess.run(cmd, "
    inserted = "shell=True)\nprint(1)\n"
    [flag] = find_flags(document, len(document), inserted, "python", [0], [0.1])
    assert (flag.rule, flag.cwe, flag.start, flag.end) == ("py.subprocess-shell", "CWE-78", 0, 11)
    assert flag.review_required  # always_review, however confident the model was


def test_only_hits_inside_the_inserted_range_are_reported() -> None:
    document = "import os\nos.system(cmd)\n\nprint(x)\n"
    offset = document.index("print")
    assert find_flags(document, offset, "y = 1\n", "python", [0], [3.0]) == []
    [flag] = find_flags(document, offset, "os.popen(c)\n", "python", [0], [3.0])
    assert flag.rule == "py.shell-command" and (flag.start, flag.end) == (0, 11)


def test_entropy_aggregates_over_overlapping_tokens() -> None:
    inserted = "x = 1\nrandom.randint(0, 9)\n"
    starts = [0, 6, 12, 20, 27]  # "x = 1\n", "random", ".randint", "(0, 9)", "\n"
    entropies = [5.0, 1.0, 2.0, 3.0, 4.0]
    [flag] = find_flags("import random\n", 14, inserted, "python", starts, entropies)
    assert flag == ReviewFlag(
        rule="py.random",
        cwe="CWE-330",
        message=flag.message,
        start=6,
        end=26,
        entropy=2.0,
        max_entropy=3.0,
        review_required=True,
    )


@pytest.mark.parametrize(("entropy", "required"), [(0.5, False), (1.5, False), (1.6, True)])
def test_review_threshold_for_rules_that_are_not_always_reviewed(
    entropy: float, required: bool
) -> None:
    [flag] = find_flags("", 0, "hashlib.md5(b)", "python", [0], [entropy])
    assert flag.review_required is required
    [strict] = find_flags("", 0, "hashlib.md5(b)", "python", [0], [entropy], threshold=0.1)
    assert strict.review_required


def test_no_tokens_means_zero_entropy() -> None:
    [flag] = find_flags("", 0, "random.random()", "python", [], [])
    assert (flag.entropy, flag.max_entropy, flag.review_required) == (0.0, 0.0, False)


def test_replace_and_duplicates() -> None:
    document = "el.textContent = html;\n"
    [flag] = find_flags(document, 3, "innerHTML", "javascript", [0], [0.0], replace=11)
    assert (flag.rule, flag.start, flag.end) == ("js.inner-html", 0, 9)
    flags = find_flags("", 0, "os.unlink(p)", "python", [0], [0.0])  # two patterns, one node
    assert [f.rule for f in flags] == ["py.file-delete"]


def test_unknown_languages_and_bad_input() -> None:
    assert find_flags("", 0, "eval(x)", "cobol", [0], [9.0]) == []
    assert find_flags("eval(x)", 7, "", "python", [], []) == []
    with pytest.raises(ValueError):
        find_flags("", 0, "eval(x)", "python", [0, 2], [1.0])


# --- user rules ------------------------------------------------------------------------------


def test_extended_adds_rules_from_inline_queries_and_query_files() -> None:
    extended = RuleSet.default().extended(DATA / "user_rules.json")
    python = "requests.get(url)\nrequests.get(url, timeout=3)\neval(s)\n"
    assert [r.id for r, _, _ in extended.find(python, "python")] == [
        "py.requests-no-timeout",
        "py.eval",
    ]
    js = 'localStorage.setItem("authToken", t);\nlocalStorage.setItem("theme", t);\n'
    assert [r.id for r, _, _ in extended.find(js, "javascript")] == ["js.local-storage-token"]
    assert extended.find(js, "typescript") == []  # the user gave a query for javascript only
    assert extended.rules["js.local-storage-token"].always_review
    assert "py.requests-no-timeout" not in RuleSet.default().rules  # default is untouched


def test_extended_can_add_a_language(tmp_path: Path) -> None:
    rules = {
        "rules": {"go.exec-shell": {"cwe": "CWE-78", "message": "shell via exec.Command"}},
        "queries": {
            "go": '(call_expression function: (_) @_f (#eq? @_f "exec.Command")) @go.exec-shell'
        },
    }
    path = tmp_path / "go_rules.json"
    path.write_text(json.dumps(rules), encoding="utf-8")
    extended = RuleSet.default().extended(path)
    document = "package main\n\nfunc run() {\n\t\n}\n"
    offset = document.index("\t") + 1
    inserted = 'exec.Command("sh")'
    [flag] = find_flags(document, offset, inserted, "go", [0], [2.0], rules=extended)
    assert flag.rule == "go.exec-shell" and flag.review_required


@pytest.mark.parametrize(
    ("file", "message"),
    [
        ("bad_json.json", r"bad_json\.json: invalid JSON at line \d+"),
        ("bad_query.json", r"bad_query\.json: query for python: \w"),
        ("missing_cwe.json", r"rule 'x\.bad' needs 'cwe'"),
        ("unknown_capture.json", r"capture @x\.unknown is not a rule id"),
        ("unknown_language.json", r"unknown language 'cobol'"),
        ("no_such_file.json", r"cannot read rules file"),
    ],
)
def test_bad_rules_file_raises_a_one_line_rule_error(file: str, message: str) -> None:
    with pytest.raises(RuleError, match=message) as caught:
        RuleSet.default().extended(DATA / file)
    assert "\n" not in str(caught.value)
