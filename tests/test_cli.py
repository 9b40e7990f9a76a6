"""The command line: formats, exit codes, selection, suppressions, config."""

import json
import textwrap

import jsonschema
import pytest

from tests.conftest import REPO, run_cli

BAD = textwrap.dedent(
    """
    import tensorflow as tf

    @tf.function
    def step(x):
        print(x)
        return x.numpy()
    """
)
CLEAN = "import tensorflow as tf\n\n@tf.function\ndef step(x):\n    tf.print(x)\n    return x\n"
SCHEMA = json.loads((REPO / "tflint_fn" / "schema" / "findings-v1.json").read_text())


@pytest.fixture
def project(tmp_path):
    (tmp_path / "bad.py").write_text(BAD)
    (tmp_path / "clean.py").write_text(CLEAN)
    return tmp_path


def test_text_output_and_exit_code_1(project):
    result = run_cli("bad.py", cwd=project)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "bad.py:6:5: TFF101 [print-in-graph] [*] `print` shows a symbolic tensor, not its value, "
        "and runs only while the function is traced; use `tf.print`"
    )
    assert lines[1].startswith("bad.py:7:12: TFF201 [numpy-method-in-graph] `.numpy()`")  # unsafe fix: no [*]
    assert lines[-2] == "Found 2 findings (2 errors) in 1 file."
    assert lines[-1] == "[*] 1 fixable with the `--fix` option (1 hidden fix can be enabled with the `--unsafe-fixes` option)."


def test_clean_exit_code_0(project):
    result = run_cli("clean.py", cwd=project)
    assert result.returncode == 0, result.stdout
    assert result.stdout == "No findings in 1 file.\n"


def test_show_context(project):
    result = run_cli("bad.py", "--show-context", cwd=project)
    assert "    traced: step (tf.function, bad.py:5)" in result.stdout.splitlines()


def test_json_matches_schema_and_contract(project):
    result = run_cli(".", "--format", "json", cwd=project)
    assert result.returncode == 1
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    assert document["summary"] == {"files": 2, "findings": 2, "by_code": {"TFF101": 1, "TFF201": 1}}
    first = document["findings"][0]
    assert first["path"] == "bad.py"
    assert first["start"] == {"line": 6, "column": 5}
    assert first["end"] == {"line": 6, "column": 13}
    assert first["function"] == "step"
    assert first["context"] == {"kind": "tf.function", "chain": [{"function": "step", "path": "bad.py", "line": 5}]}
    assert first["fix"]["applicability"] == "safe"
    assert first["fix"]["edits"] == [
        {"start": {"line": 2, "column": 1}, "end": {"line": 2, "column": 1}, "content": "import sys\n"},
        {"start": {"line": 6, "column": 5}, "end": {"line": 6, "column": 10}, "content": "tf.print"},
        {"start": {"line": 6, "column": 12}, "end": {"line": 6, "column": 12}, "content": ", output_stream=sys.stdout"},
    ]
    assert "dynamic" not in first


def test_json_order_is_deterministic(tmp_path):
    for name in ("b.py", "a.py", "c/z.py", "c/a.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(BAD)
    document = json.loads(run_cli(".", "--format", "json", cwd=tmp_path).stdout)
    keys = [(f["path"], f["start"]["line"], f["start"]["column"], f["code"]) for f in document["findings"]]
    assert keys == sorted(keys)
    assert [k[0] for k in keys][::2] == ["a.py", "b.py", "c/a.py", "c/z.py"]


@pytest.mark.parametrize(
    "flags, codes",
    [
        (["--select", "TFF101"], {"TFF101"}),
        (["--select", "TFF2"], {"TFF201"}),
        (["--select", "numpy-method-in-graph"], {"TFF201"}),
        (["--ignore", "print-in-graph"], {"TFF201"}),
        (["--ignore", "TFF1,TFF2"], set()),
        (["--select", "TFF1", "--extend-select", "TFF201"], {"TFF101", "TFF201"}),
    ],
)
def test_select_and_ignore(project, flags, codes):
    document = json.loads(run_cli("bad.py", "--format", "json", *flags, cwd=project).stdout)
    assert {f["code"] for f in document["findings"]} == codes


def test_unknown_selector_is_a_usage_error(project):
    result = run_cli("bad.py", "--select", "TFF999", cwd=project)
    assert result.returncode == 2
    assert "unknown rule selector `TFF999`" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_path_is_a_usage_error(project):
    result = run_cli("nope.py", cwd=project)
    assert result.returncode == 2
    assert result.stderr.strip() == "tflint-fn: error: nope.py: no such file or directory"


_EXIT_PROBE = (
    "import atexit, os, runpy, sys, threading, time\n"
    "mode = sys.argv[1]\n"
    "class Marker:\n"
    "    def __del__(self):\n"
    "        os.write(2, b'TORN-DOWN\\n')\n"
    "marker = Marker()  # freed when Python tears its modules down\n"
    "atexit.register(lambda: sys.stderr.write('ATEXIT\\n'))\n"
    "sys.argv = ['tflint-fn', 'bad.py']\n"
    "import tflint_fn.cli\n"
    "if mode == 'THREAD':\n"
    "    returned = threading.Event()\n"
    "    run = tflint_fn.cli.main\n"
    "    def main():\n"
    "        try:\n"
    "            run()\n"
    "        finally:\n"
    "            returned.set()\n"
    "    tflint_fn.cli.main = main\n"
    "    def late():\n"
    "        returned.wait()\n"
    "        time.sleep(0.2)\n"
    "        sys.stderr.write('THREAD-DONE\\n')\n"
    "    threading.Thread(target=late).start()\n"
    "if mode == 'MAIN':\n"
    "    tflint_fn.cli.main()\n"
    "else:\n"
    "    runpy.run_module('tflint_fn', run_name='__main__')\n"
)


def _exit_probe(cwd, mode: str):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-c", _EXIT_PROBE, mode], cwd=cwd, capture_output=True, text=True, timeout=300,
                          check=False)


def test_the_command_exits_without_teardown_but_runs_atexit_handlers_and_flushes(project):
    """Freeing every object at exit costs a cold run ~10%: `python -m tflint_fn` (and the
    console script) skip it, but keep the exit code, the atexit handlers and the output."""
    quick = _exit_probe(project, "-")
    assert quick.returncode == 1, quick.stderr
    assert "TFF101" in quick.stdout and quick.stdout.endswith("\n")
    assert "ATEXIT" in quick.stderr.splitlines()
    assert "TORN-DOWN" not in quick.stderr
    # The marker works: calling main() itself (what embedders do) is Python's usual exit.
    usual = _exit_probe(project, "MAIN")
    assert usual.returncode == 1
    assert usual.stdout == quick.stdout
    assert "ATEXIT" in usual.stderr.splitlines() and "TORN-DOWN" in usual.stderr.splitlines()


def test_a_profiled_run_still_writes_its_profile(project):
    """`python -m cProfile -o F -m tflint_fn` writes F after the run returns: no quick exit then."""
    import subprocess
    import sys

    profile = project / "run.prof"
    result = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "tflint_fn", "bad.py"],
                            cwd=project, capture_output=True, text=True, timeout=300, check=False)
    assert "TFF101" in result.stdout, result.stderr  # (cProfile ends with 0 whatever the run's code)
    assert profile.stat().st_size > 0


def test_the_console_script_is_the_entry_that_skips_teardown():
    import tomllib

    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"]["tflint-fn"] == "tflint_fn.cli:entry"


def test_the_command_waits_for_a_running_thread_as_python_does(project):
    result = _exit_probe(project, "THREAD")
    assert result.returncode == 1, result.stderr
    assert "THREAD-DONE" in result.stderr.splitlines()


def test_static_mode_never_imports_tensorflow(project):
    code = (
        "import atexit, runpy, sys\n"
        "atexit.register(lambda: print('IMPORTED:', sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('tensorflow', 'keras', 'numpy'))))\n"
        "sys.argv = ['tflint-fn', 'bad.py']\n"
        "runpy.run_module('tflint_fn', run_name='__main__')\n"
    )
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True)
    assert "IMPORTED: []" in result.stdout, result.stdout + result.stderr
    assert "TFF101" in result.stdout


def test_noqa_and_ignore_comments(tmp_path):
    source = textwrap.dedent(
        """
        import tensorflow as tf

        @tf.function
        def step(x):
            print(x)  # noqa: TFF101
            print(x)  # noqa: TFF1
            print(x)  # noqa
            print(x)  # tflint-fn: ignore[print-in-graph]
            print(x)  # noqa: TFF201
            return x
        """
    )
    (tmp_path / "a.py").write_text(source)
    document = json.loads(run_cli("a.py", "--format", "json", cwd=tmp_path).stdout)
    assert [(f["code"], f["start"]["line"]) for f in document["findings"]] == [("TFF101", 10)]


def test_skip_file(tmp_path):
    (tmp_path / "a.py").write_text("# tflint-fn: skip-file\n" + BAD)
    assert run_cli("a.py", cwd=tmp_path).returncode == 0


def test_pyproject_configuration(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tflint-fn]\nignore = ["TFF201"]\nexclude = ["generated/"]\n'
        'per-file-ignores = {"tests/*" = ["TFF1"]}\ngraph-decorators = ["mylib.traced"]\n'
    )
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "x.py").write_text(BAD)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "t.py").write_text(BAD)
    (tmp_path / "a.py").write_text(BAD)
    (tmp_path / "b.py").write_text("import tensorflow as tf\nfrom mylib import traced\n\n@traced\ndef f(x):\n    print(x)\n")
    document = json.loads(run_cli(".", "--format", "json", cwd=tmp_path).stdout)
    assert [(f["path"], f["code"]) for f in document["findings"]] == [("a.py", "TFF101"), ("b.py", "TFF101")]
    # Command-line flags override the file.
    document = json.loads(run_cli(".", "--format", "json", "--ignore", "TFF101", cwd=tmp_path).stdout)
    assert {f["code"] for f in document["findings"]} == {"TFF201"}


@pytest.mark.parametrize(
    "table, message",
    [
        ('[tool.tflint-fn]\nselekt = ["TFF1"]\n', "unknown key `selekt`"),
        ('[tool.tflint-fn]\nselect = "TFF1"\n', "`select` must be a list of strings"),
        ('[tool.tflint-fn]\nselect = ["TFF8"]\n', "unknown rule selector `TFF8`"),
        ('[tool.tflint-fn.dynamic]\ntimeout = "60"\n', "`dynamic.timeout` must be a positive number of seconds"),
        ('[tool.tflint-fn\n', "pyproject.toml"),
    ],
)
def test_bad_configuration_is_exit_2_naming_the_key(tmp_path, table, message):
    (tmp_path / "pyproject.toml").write_text(table)
    (tmp_path / "a.py").write_text(CLEAN)
    result = run_cli("a.py", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_parse_errors_are_findings_and_other_files_still_checked(tmp_path):
    (tmp_path / "broken.py").write_text("import tensorflow as tf\ndef f(:\n    pass\n")
    (tmp_path / "latin.py").write_bytes(b"x = '\xff'\n")
    (tmp_path / "bad.py").write_text(BAD)
    result = run_cli(".", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    document = json.loads(result.stdout)
    found = {(f["path"], f["code"]) for f in document["findings"]}
    assert ("broken.py", "TFF001") in found
    assert ("latin.py", "TFF001") in found
    assert ("bad.py", "TFF101") in found
    broken = next(f for f in document["findings"] if f["path"] == "broken.py")
    assert broken["start"]["line"] == 2
    assert broken["message"].startswith("syntax error")


def test_stdin_buffer_reported_under_its_name(tmp_path):
    result = run_cli("--format", "json", "--stdin-filename", "src/model.py", "-", cwd=tmp_path, stdin=BAD)
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert {f["path"] for f in document["findings"]} == {"src/model.py"}


def test_rule_command(tmp_path):
    result = run_cli("rule", "TFF101", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("# TFF101 print-in-graph")
    by_name = run_cli("rule", "print-in-graph", cwd=tmp_path)
    assert by_name.stdout == result.stdout
    listing = run_cli("rule", "--all", "--format", "json", cwd=tmp_path)
    rules = {rule["code"]: rule for rule in json.loads(listing.stdout)}
    assert {"code": "TFF101", "name": "print-in-graph", "severity": "error"}.items() <= rules["TFF101"].items()
    assert run_cli("rule", "TFF999", cwd=tmp_path).returncode == 2


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("tflint-fn, version ")
