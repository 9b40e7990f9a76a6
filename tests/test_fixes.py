"""Fixes: every fixable rule's doc examples, the apply machinery, --fix/--diff/--add-noqa, config keys."""

import json
import os
import re
import stat
import textwrap
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import REPO, run_cli
from tflint_fn.checks import RULES
from tflint_fn.config import FileConfig, resolve_settings
from tflint_fn.engine import run
from tflint_fn.fixes import apply as fix_apply
from tflint_fn.fixes.edits import (
    BUILDERS,
    FIXABLE_CODES,
    NUMPY_EQUIVALENTS,
    SAFE,
    TextEdit,
)
from tflint_fn.fixes.runner import MAX_ROUNDS, FixPolicy, Sources, fix_rounds
from tflint_fn.reporters.rule_docs import examples
from tflint_fn.sources.notebooks import neutralise

RULE_DIR = REPO / "rules"
SCHEMA = json.loads((REPO / "tflint_fn" / "schema" / "findings-v1.json").read_text())
OPT_IN = {"TFF108": {"extend_select": ["TFF108"]}, "TFF002": {"extend_select": ["TFF002"]}}


def _notebook(cells):
    return json.dumps({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {"language_info": {"name": "python"}},
        "cells": [{"cell_type": "code", "metadata": {}, "source": cell, "outputs": [], "execution_count": None}
                  for cell in cells],
    }, indent=1) + "\n"


def _write_example(directory: Path, example) -> str:
    name = "example.ipynb" if example.notebook else "example.py"
    (directory / name).write_text(_notebook(example.cells()) if example.notebook else example.code, encoding="utf-8")
    return name


def _fix(directory: Path, name: str, code: str, unsafe: bool = True, fixable=FIXABLE_CODES):
    settings = resolve_settings(FileConfig(), **OPT_IN.get(code, {}))
    sources = Sources(directory)
    outcome = fix_rounds(lambda overlay: run([name], settings, directory, overlay=overlay), sources,
                         lambda display: FixPolicy(frozenset(fixable), unsafe))
    return outcome, settings


def _compiles(name: str, data: bytes) -> None:
    if name.endswith(".ipynb"):
        for cell in json.loads(data)["cells"]:
            if cell["cell_type"] != "code":
                continue
            lines, _ = neutralise("".join(cell["source"]).splitlines())
            compile("".join(line + "\n" for line in lines), name, "exec")
    else:
        compile(data, name, "exec")


def _cases(kind):
    for code in sorted(FIXABLE_CODES):
        for example in examples((RULE_DIR / f"{code}.md").read_text(encoding="utf-8")):
            if example.kind == kind:
                yield pytest.param(code, example, id=f"{code}-line{example.first_line}")


@pytest.mark.parametrize("code, example", list(_cases("bad")))
def test_fix_of_every_bad_doc_example(tmp_path, code, example):
    """--fix --unsafe-fixes: the code compiles, the findings that had a fix are gone, a second --fix changes nothing."""
    name = _write_example(tmp_path, example)
    before = run([name], resolve_settings(FileConfig(), **OPT_IN.get(code, {})), tmp_path).findings
    without_fix = sorted(f.start.line for f in before if f.code == code and f.fix is None)
    outcome, _ = _fix(tmp_path, name, code)
    if len(without_fix) == sum(1 for f in before if f.code == code):
        # No correct edit for any of them (`next(offsets)`: an iterator read at trace time): nothing changes.
        assert outcome.count == 0 and not outcome.fixed
        return
    assert outcome.count >= 1, [(f.code, f.fix) for f in before]
    path = tmp_path / name
    fixed = outcome.fixed[Path(os.path.abspath(path))]
    _compiles(name, fixed)
    left = [f for f in outcome.result.findings if f.code == code]
    assert len(left) == len(without_fix), [(f.start.line, f.message) for f in left]
    assert not [f for f in outcome.result.findings if f.code != code], "a fix must not create other findings"
    path.write_bytes(fixed)
    again, _ = _fix(tmp_path, name, code)
    assert again.count == 0 and not again.fixed


@pytest.mark.parametrize("code, example", list(_cases("good")))
def test_good_doc_examples_are_never_changed(tmp_path, code, example):
    name = _write_example(tmp_path, example)
    outcome, _ = _fix(tmp_path, name, code)
    assert outcome.count == 0 and not outcome.fixed


def test_every_rule_page_says_its_fix():
    for code in RULES:
        text = (RULE_DIR / f"{code}.md").read_text(encoding="utf-8")
        match = re.search(r"^- \*\*Fix:\*\* (safe|unsafe|safe or unsafe|none)\b", text, re.MULTILINE)
        assert match, f"{code}: no `- **Fix:** safe/unsafe/none` line"
        assert (match.group(1) != "none") == (code in FIXABLE_CODES), code


def test_rule_command_shows_the_fix_line():
    shown = run_cli("rule", "TFF204")
    assert shown.returncode == 0 and "**Fix:** safe" in shown.stdout


BAD = textwrap.dedent(
    """\
    import math

    import numpy as np
    import tensorflow as tf


    @tf.function
    def step(x):
        print("x", x, sep=": ")
        y = math.sqrt(x) + np.mean(x)
        return y
    """
)


def test_safe_fixes_only_without_unsafe_fixes(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    outcome, _ = _fix(tmp_path, "a.py", "TFF101", unsafe=False)
    text = outcome.fixed[Path(os.path.abspath(tmp_path / "a.py"))].decode()
    assert 'tf.print("x", x, sep=": ", output_stream=sys.stdout)' in text and "import sys\n" in text
    assert "tf.math.sqrt(x)" in text and "np.mean(x)" in text  # np.mean -> tf.reduce_mean is unsafe (integers)
    assert [f.code for f in outcome.result.findings] == ["TFF203"]
    unsafe, _ = _fix(tmp_path, "a.py", "TFF101", unsafe=True)
    assert "tf.reduce_mean(x)" in unsafe.fixed[Path(os.path.abspath(tmp_path / "a.py"))].decode()


def test_text_marks_fixable_findings_and_counts_them(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    shown = run_cli("a.py", "--no-cache", cwd=tmp_path)
    lines = shown.stdout.splitlines()
    assert shown.returncode == 1
    assert lines[0].startswith("a.py:9:5: TFF101 [print-in-graph] [*] `print`")
    assert "TFF203 [numpy-on-tensor] `np.mean`" in shown.stdout  # unsafe: no marker
    assert lines[-1] == "[*] 2 fixable with the `--fix` option (1 hidden fix can be enabled with the `--unsafe-fixes` option)."
    unsafe = run_cli("a.py", "--no-cache", "--unsafe-fixes", cwd=tmp_path)
    assert unsafe.stdout.splitlines()[-1] == "[*] 3 fixable with the `--fix` option."


def test_json_fix_objects_match_the_schema(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    document = json.loads(run_cli("a.py", "--format", "json", "--no-cache", cwd=tmp_path).stdout)
    jsonschema.validate(document, SCHEMA)
    fixes = {f["code"]: f["fix"] for f in document["findings"]}
    assert fixes["TFF101"]["applicability"] == "safe" and fixes["TFF203"]["applicability"] == "unsafe"
    assert {"start": {"line": 9, "column": 5}, "end": {"line": 9, "column": 10}, "content": "tf.print"} in fixes["TFF101"]["edits"]
    assert {"start": {"line": 1, "column": 1}, "end": {"line": 1, "column": 1}, "content": "import sys\n"} in fixes["TFF101"]["edits"]


def test_diff_writes_nothing_and_exits_1_when_there_is_a_diff(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    before = (tmp_path / "a.py").read_bytes()
    shown = run_cli("a.py", "--diff", "--no-cache", cwd=tmp_path)
    assert shown.returncode == 1, shown.stderr
    assert shown.stdout.startswith("--- a.py\n+++ a.py\n")
    assert '+    tf.print("x", x, sep=": ", output_stream=sys.stdout)' in shown.stdout
    assert shown.stderr.strip() == "Would fix 2 findings."
    assert (tmp_path / "a.py").read_bytes() == before
    (tmp_path / "a.py").write_text("import tensorflow as tf\n")
    clean = run_cli("a.py", "--diff", "--no-cache", cwd=tmp_path)
    assert clean.returncode == 0 and clean.stdout == "" and clean.stderr.strip() == "No fixes to apply."


def test_fix_writes_reports_what_remains_and_a_second_fix_changes_nothing(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    (tmp_path / "other.py").write_text("import tensorflow as tf\n\n@tf.function\ndef f(x):\n    return x.numpy()\n")
    other = os.stat(tmp_path / "other.py")
    shown = run_cli(".", "--fix", "--no-cache", cwd=tmp_path)
    assert shown.returncode == 1  # TFF203 (unsafe) and TFF201 (unsafe) remain
    assert shown.stdout.splitlines()[-1] == "Fixed 2 findings."
    assert "TFF101" not in shown.stdout and "TFF203" in shown.stdout
    after = os.stat(tmp_path / "other.py")
    assert (after.st_ino, after.st_mtime_ns) == (other.st_ino, other.st_mtime_ns), "a file without applied fixes is never rewritten"
    fixed = (tmp_path / "a.py").read_bytes()
    again = run_cli(".", "--fix", "--no-cache", cwd=tmp_path)
    assert (tmp_path / "a.py").read_bytes() == fixed and "Fixed" not in again.stdout
    only = run_cli(".", "--fix-only", "--unsafe-fixes", "--show-fixes", "--no-cache", cwd=tmp_path)
    assert only.returncode == 0 and only.stdout == ""
    assert only.stderr.splitlines() == [
        "Fixed 2 findings:", "- a.py:", "    1 × TFF203 (numpy-on-tensor)", "- other.py:", "    1 × TFF201 (numpy-method-in-graph)",
    ]
    assert run_cli(".", "--no-cache", cwd=tmp_path).returncode == 0


def test_exit_non_zero_on_fix(tmp_path):
    (tmp_path / "a.py").write_text("import tensorflow as tf\n\n@tf.function\ndef f(x):\n    print(x)\n    return x\n")
    shown = run_cli("a.py", "--fix", "--exit-non-zero-on-fix", "--no-cache", cwd=tmp_path)
    assert shown.returncode == 1 and "No findings in 1 file." in shown.stdout


def test_bom_crlf_and_declared_encoding_are_kept(tmp_path):
    body = "import tensorflow as tf\n\n\n@tf.function\ndef f(x):\n    print('é', x)\n    return x\n"
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbf" + body.encode())
    (tmp_path / "crlf.py").write_bytes(body.replace("\n", "\r\n").encode())
    (tmp_path / "latin.py").write_bytes(("# -*- coding: latin-1 -*-\n" + body).encode("latin-1"))
    assert run_cli(".", "--fix", "--no-cache", cwd=tmp_path).returncode == 0
    fixed = "import sys\n" + body.replace("print('é', x)", "tf.print('é', x, output_stream=sys.stdout)")
    assert (tmp_path / "bom.py").read_bytes() == b"\xef\xbb\xbf" + fixed.encode()
    assert (tmp_path / "crlf.py").read_bytes() == fixed.replace("\n", "\r\n").encode()
    assert (tmp_path / "latin.py").read_bytes() == (
        "# -*- coding: latin-1 -*-\n" + fixed
    ).encode("latin-1")


def test_notebook_is_fixed_cell_by_cell_and_keeps_outputs_and_metadata(tmp_path):
    document = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n"]},
            {"cell_type": "code", "execution_count": 1, "metadata": {"tags": ["setup"]},
             "outputs": [{"name": "stdout", "output_type": "stream", "text": ["ok\n"]}],
             "source": ["!pip install -q tensorflow\n", "import tensorflow as tf\n", "import math"]},
            {"cell_type": "code", "execution_count": 2, "metadata": {}, "outputs": [],
             "source": ["%%time\n", "@tf.function\n", "def f(x):\n", "    print('v', x)\n", "    return math.sqrt(x)\n"]},
        ],
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}, "language_info": {"name": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    original = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    (tmp_path / "nb.ipynb").write_text(original, encoding="utf-8")
    diff = run_cli("nb.ipynb", "--diff", "--no-cache", cwd=tmp_path)
    assert diff.returncode == 1 and "--- nb.ipynb:cell 2\n+++ nb.ipynb:cell 2\n" in diff.stdout
    assert run_cli("nb.ipynb", "--fix", "--no-cache", cwd=tmp_path).returncode == 0
    fixed = json.loads((tmp_path / "nb.ipynb").read_text(encoding="utf-8"))
    document["cells"][1]["source"] = ["!pip install -q tensorflow\n", "import sys\n", "import tensorflow as tf\n", "import math"]
    document["cells"][2]["source"] = [
        "%%time\n", "@tf.function\n", "def f(x):\n", "    tf.print('v', x, output_stream=sys.stdout)\n", "    return tf.math.sqrt(x)\n",
    ]
    assert fixed == document
    assert (tmp_path / "nb.ipynb").read_text(encoding="utf-8") == json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def test_stdin_fix_prints_the_fixed_source(tmp_path):
    source = "import tensorflow as tf\n\n@tf.function\ndef f(x):\n    print(x)\n    return x\n"
    shown = run_cli("--fix", "--stdin-filename", "x.py", "-", "--no-cache", cwd=tmp_path, stdin=source)
    assert shown.returncode == 0
    assert shown.stdout == "import sys\n" + source.replace("print(x)", "tf.print(x, output_stream=sys.stdout)")
    assert not (tmp_path / "x.py").exists()


def test_print_that_cannot_be_kept_exactly_has_no_fix(lint):
    source = textwrap.dedent(
        """\
        import sys
        import tensorflow as tf


        @tf.function
        def f(x, log):
            print(f"value {x}")
            print("value", x, file=log)
            print("value", x, flush=True)
            print("value", x, file=sys.stderr)
            return x
        """
    )
    findings = [f for f in lint(source) if f.code == "TFF101"]
    assert [f.fix is not None for f in findings] == [False, False, False, True]
    assert {"start": {"line": 10, "column": 23}, "end": {"line": 10, "column": 27}, "content": "output_stream"} in [
        edit.to_json() for edit in findings[3].fix.edits
    ]


@pytest.mark.parametrize("call, expected", [
    ("np.mean(x, axis=1, keepdims=True)", "tf.reduce_mean(x, axis=1, keepdims=True)"),
    ("np.sum(x, 0)", "tf.reduce_sum(x, 0)"),
    ("np.concatenate([x, x], axis=1)", "tf.concat([x, x], axis=1)"),
    ("np.reshape(x, newshape=(2, -1))", "tf.reshape(x, shape=(2, -1))"),
    ("np.transpose(x, axes=(1, 0))", "tf.transpose(x, perm=(1, 0))"),
    ("np.maximum(x, 0.0)", "tf.maximum(x, 0.0)"),
    ("np.mean(x, dtype=np.float64)", None),  # no TF twin for dtype=
    ("np.concatenate([x, x], axis=None)", None),  # flattens in NumPy
    ("np.argmax(x)", None),  # flattens in NumPy; tf.argmax takes axis 0
    ("np.std(x, ddof=1)", None),
])
def test_numpy_table_maps_arguments(lint, call, expected):
    source = f"import numpy as np\nimport tensorflow as tf\n\n\n@tf.function\ndef f(x):\n    return {call}\n"
    finding = next(f for f in lint(source) if f.code == "TFF203")
    if expected is None:
        assert finding.fix is None
        return
    edits = sorted(finding.fix.edits, key=lambda e: (e.start.line, e.start.column), reverse=True)
    line = source.splitlines()[6]
    for edit in edits:
        assert edit.start.line == edit.end.line == 7
        line = line[: edit.start.column - 1] + edit.content + line[edit.end.column - 1:]
    assert line == f"    return {expected}"


def test_numpy_table_entries_are_spelled_as_tensorflow_names():
    for name, equivalent in NUMPY_EQUIVALENTS.items():
        assert re.fullmatch(r"[a-z_]+(\.[a-z_0-9]+)?", equivalent.tf), name
        assert set(equivalent.keywords) <= set(equivalent.positional) | {"keepdims", "newshape"}, name


VALUE_IN_A_CONDITION = """\
import keras
import numpy as np
import tensorflow as tf


class Decoder(keras.layers.Layer):
    def call(self, x, teacher=None, training=None):
        if training:
            p = np.random.uniform(low=0, high=1)  # refused: Keras 3 does not convert `call`
            if teacher is not None and p > 0.5:
                return teacher
        return x


@tf.function(autograph=False)
def clip(t):
    if t.numpy() > 10:  # refused: AutoGraph is off
        t = t / 10
    return t


@tf.function(autograph=False)
def keep(x):
    while np.random.uniform() < 0.5 or x.numpy():  # refused, both
        x = x - 1
    return x


@tf.function
def clip_converted(t):
    if t.numpy() > 10:  # fixed: AutoGraph makes the `if` a tf.cond
        t = t / 10
    return t


@tf.function(autograph=False)
def noisy(x):
    y = x * np.random.uniform()  # fixed: used as a tensor
    return y


class Schedule:
    def sample(self, x):
        p = np.random.uniform()  # refused: a method, which may be a Keras one that Keras 3 does not convert
        if p > 0.5:
            return x * 2.0
        return x


schedule = Schedule()


def pick(x):
    p = np.random.uniform()  # fixed: a plain helper of a tf.function, converted with it
    return x * 2.0 if p > 0.5 else x


@tf.function
def run(x):
    return schedule.sample(x) + pick(x)
"""


def test_no_fix_makes_a_value_that_python_truth_tests_a_tensor_where_autograph_is_off(lint):
    """A tensor in a Python condition raises where AutoGraph is off (a Keras 3 `call`): the fixed code would
    fail where the original ran (Time-series-prediction, keras-hub). Where AutoGraph converts the code, or
    where the value is used as a tensor, the fix stays."""
    lines = VALUE_IN_A_CONDITION.splitlines()
    findings = [f for f in lint(VALUE_IN_A_CONDITION) if f.code in ("TFF104", "TFF201")]
    assert len(findings) == 8
    for finding in findings:
        comment = lines[finding.start.line - 1]
        assert (finding.fix is not None) == ("# fixed" in comment), (finding.code, comment)


def test_a_helper_that_returns_numpy_keeps_it(lint):
    """`return x.numpy()` in a helper: its eager callers want the array (keras-hub's tensor_utils); only the
    tf.function's own result is fixed."""
    source = textwrap.dedent(
        """\
        import tensorflow as tf


        def to_numpy(x):
            return x.numpy()


        @tf.function
        def step(x):
            to_numpy(x)
            return (x * 2).numpy()
        """
    )
    fixes = {f.start.line: f.fix is not None for f in lint(source) if f.code == "TFF201"}
    assert fixes == {5: False, 11: True}


def test_static_dimension_through_a_local_name(lint):
    source = textwrap.dedent(
        """\
        import tensorflow as tf


        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def f(x):
            n = x.shape[0]
            return tf.zeros([n, 2])
        """
    )
    finding = next(f for f in lint(source) if f.code == "TFF206")
    assert [e.content for e in finding.fix.edits] == ["tf.shape(x)[0]"]
    # `x` rebound after `n` is read: its shape may be another's (asked of the builder directly:
    # the analysis itself loses the unknown dimension there).
    import libcst as cst

    from tflint_fn.fixes.edits import FileFixer, fix_static_dim
    from tflint_fn.fixes.units import Unit

    for rebound in (
        source.replace("    return tf.zeros([n, 2])", "    x = tf.concat([x, x], 0)\n    return tf.zeros([n, 2])"),
        source.replace("    n = x.shape[0]\n", "    n = x.shape[0]\n    n += 1\n"),
    ):
        unit = Unit.parse(rebound)
        use = [node for node in unit.positions if isinstance(node, cst.Name) and node.value == "n"][-1]
        assert fix_static_dim(FileFixer([unit]), unit, use) is None
    unit = Unit.parse(source)
    use = [node for node in unit.positions if isinstance(node, cst.Name) and node.value == "n"][-1]
    assert fix_static_dim(FileFixer([unit]), unit, use).edits[0].content == "tf.shape(x)[0]"


def test_conflicting_edits_wait_for_the_next_round():
    from tflint_fn.fixes.edits import Plan

    first = Plan("TFF203", SAFE, "outer", [TextEdit(0, 0, 10, "A")])
    second = Plan("TFF203", SAFE, "inner", [TextEdit(0, 4, 6, "B")])
    third = Plan("TFF101", SAFE, "import", [TextEdit(0, 0, 0, "import sys\n"), TextEdit(0, 12, 14, "C")])
    duplicate = Plan("TFF101", SAFE, "import", [TextEdit(0, 0, 0, "import sys\n"), TextEdit(0, 15, 16, "D")])
    chosen, edits = fix_apply.select([first, second, third, duplicate])
    assert [plan.message for plan in chosen] == ["outer", "import", "import"]
    assert fix_apply.apply_edits("0123456789abcdefgh", edits) == "import sys\nAabCeDgh"
    chosen, _ = fix_apply.select([second, first])
    assert [plan.message for plan in chosen] == ["inner"]


def test_fix_rounds_are_bounded():
    assert MAX_ROUNDS == 10


def test_atomic_write_keeps_mode_and_leaves_nothing_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "a.py"
    path.write_bytes(b"old\n")
    os.chmod(path, 0o640)
    link = tmp_path / "link.py"
    link.symlink_to(path)
    fix_apply.write_atomic(link, b"new\n")
    assert path.read_bytes() == b"new\n" and link.is_symlink()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py", "link.py"]

    def broken(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fix_apply.os, "replace", broken)
    with pytest.raises(OSError):
        fix_apply.write_atomic(path, b"newer\n")
    assert path.read_bytes() == b"new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py", "link.py"]


def test_a_file_that_cannot_be_written_is_one_line(tmp_path, monkeypatch):
    from tflint_fn.fixes.runner import FixOutcome, write_fixed

    path = tmp_path / "a.py"
    path.write_bytes(b"old\n")

    def refused(source, target):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(fix_apply.os, "replace", refused)
    outcome = FixOutcome(None, originals={path: b"old\n"}, fixed={path: b"new\n"}, displays={path: "a.py"})
    assert write_fixed(outcome) == ["a.py: not fixed: Permission denied"]
    assert path.read_bytes() == b"old\n" and [p.name for p in tmp_path.iterdir()] == ["a.py"]


NOQA_SOURCE = textwrap.dedent(
    '''\
    import numpy as np
    import tensorflow as tf


    @tf.function
    def f(x):
        print(x)  # noqa: TFF108 -- shows tracing
        y = np.mean(x)  # a comment
        z = np.std(
            x)
        text = """
        %s""" % np.mean(x)
        return y + z + x.numpy()
    '''
)


def test_add_noqa_merges_with_existing_comments(tmp_path):
    (tmp_path / "a.py").write_text(NOQA_SOURCE)
    shown = run_cli("a.py", "--add-noqa", "--no-cache", cwd=tmp_path)
    assert shown.returncode == 0 and shown.stderr.strip() == "Added 5 noqa directives."
    lines = (tmp_path / "a.py").read_text().splitlines()
    assert lines[6] == "    print(x)  # noqa: TFF108, TFF101 -- shows tracing"
    assert lines[7] == "    y = np.mean(x)  # a comment  # noqa: TFF203"
    assert lines[8] == "    z = np.std(  # noqa: TFF203"
    assert lines[11] == '    %s""" % np.mean(x)  # noqa: TFF203'  # the first line ends inside the string
    assert lines[12] == "    return y + z + x.numpy()  # noqa: TFF201"
    assert run_cli("a.py", "--no-cache", "--report-unused-suppressions", cwd=tmp_path).returncode == 0
    again = run_cli("a.py", "--add-noqa", "--no-cache", cwd=tmp_path)
    assert again.stderr.strip() == "Added 0 noqa directives."


@pytest.mark.parametrize("table, fixed", [
    ("fix = true", True),
    ("fix = true\nunfixable = [\"TFF101\"]", False),
    ("fix = true\nfixable = [\"TFF2\"]", False),
    ("fix = false", False),
])
def test_config_keys(tmp_path, table, fixed):
    (tmp_path / "pyproject.toml").write_text(f"[tool.tflint-fn]\n{table}\n")
    (tmp_path / "a.py").write_text("import tensorflow as tf\n\n@tf.function\ndef f(x):\n    print(x)\n    return x\n")
    shown = run_cli("a.py", "--no-cache", cwd=tmp_path)
    assert ("tf.print(x" in (tmp_path / "a.py").read_text()) == fixed
    assert shown.returncode == (0 if fixed else 1)
    if not fixed and "fix = true" in table:
        assert "[*]" not in shown.stdout


def test_config_unsafe_fixes_and_the_command_line_wins(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.tflint-fn]\nunsafe-fixes = true\nfix = true\n")
    (tmp_path / "a.py").write_text("import tensorflow as tf\n\n@tf.function\ndef f(x):\n    return x.numpy()\n")
    assert run_cli("a.py", "--no-fix", "--no-cache", cwd=tmp_path).returncode == 1
    assert "x.numpy()" in (tmp_path / "a.py").read_text()
    assert run_cli("a.py", "--no-unsafe-fixes", "--no-cache", cwd=tmp_path).returncode == 1
    assert "x.numpy()" in (tmp_path / "a.py").read_text()
    assert run_cli("a.py", "--no-cache", cwd=tmp_path).returncode == 0
    assert "return x\n" in (tmp_path / "a.py").read_text()


@pytest.mark.parametrize("table, message", [
    ("fix = \"yes\"", "`fix` must be true or false, not a string"),
    ("unsafe-fixes = 1", "`unsafe-fixes` must be true or false, not an integer"),
    ("unfixable = \"TFF101\"", "`unfixable` must be a list of strings, not a string"),
    ("fixable = [\"TFF9x\"]", "unknown rule selector `TFF9x`"),
])
def test_bad_config_is_one_line(tmp_path, table, message):
    (tmp_path / "pyproject.toml").write_text(f"[tool.tflint-fn]\n{table}\n")
    (tmp_path / "a.py").write_text("x = 1\n")
    shown = run_cli("a.py", "--fix", cwd=tmp_path)
    assert shown.returncode == 2 and len(shown.stderr.splitlines()) == 1 and message in shown.stderr


@pytest.mark.parametrize("args, message", [
    (["--add-noqa", "--fix"], "--add-noqa cannot be combined with --fix, --fix-only or --diff"),
    (["--add-noqa", "--dynamic"], "--add-noqa cannot be combined with --dynamic"),
    (["--add-noqa", "--stdin-filename", "x.py", "-"], "--add-noqa writes files; it cannot take stdin (`-`)"),
])
def test_bad_option_combinations_are_one_line(tmp_path, args, message):
    shown = run_cli(*args, cwd=tmp_path, stdin="")
    assert shown.returncode == 2 and shown.stderr.strip() == f"tflint-fn: error: {message}"


def test_show_settings_lists_the_fix_keys(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.tflint-fn]\nunsafe-fixes = true\nunfixable = [\"TFF201\"]\n")
    shown = run_cli("--show-settings", ".", cwd=tmp_path)
    assert "fix: false; unsafe-fixes: true" in shown.stdout and "unfixable: TFF201" in shown.stdout


def test_builders_cover_the_documented_fixable_rules():
    assert set(BUILDERS) == {"TFF101", "TFF104", "TFF201", "TFF203", "TFF204", "TFF205", "TFF206", "TFF401", "TFF402"}


def test_copied_operands_keep_their_parentheses(lint):
    source = textwrap.dedent(
        """\
        import numpy as np
        import tensorflow as tf


        @tf.function
        def f(a, b):
            noise = np.random.normal(size=(2, 3))
            return 2 * (a + b).numpy() + noise
        """
    )
    fixes = {f.code: f.fix for f in lint(source)}
    assert [e.content for e in fixes["TFF104"].edits] == ["tf.random.normal((2, 3))"]
    assert [e.content for e in fixes["TFF201"].edits] == ["(a + b)"]


def test_a_file_changed_while_fixing_is_not_overwritten(tmp_path):
    from tflint_fn.fixes.runner import FixOutcome, write_fixed

    path = tmp_path / "a.py"
    path.write_bytes(b"edited by someone else\n")
    outcome = FixOutcome(None, originals={path: b"old\n"}, fixed={path: b"new\n"}, displays={path: "a.py"})
    assert write_fixed(outcome) == ["a.py: not fixed: the file changed while it was being fixed; run again"]
    assert path.read_bytes() == b"edited by someone else\n"


PROJECTS = sorted(p for p in (REPO / "fixtures").iterdir() if p.is_dir()) + [REPO / "examples" / "mnist_trainer", REPO / "bench" / "bug_reports"]


@pytest.mark.parametrize("project", PROJECTS, ids=[p.name for p in PROJECTS])
def test_fixing_whole_projects(tmp_path, project):
    """The fixture projects, the example and the bug reports: every fixed file compiles, each fix removed
    its finding and made no other, and a second round finds nothing more to fix."""
    import shutil

    copy = tmp_path / project.name
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns(".tflint-fn-cache", "expected.json"))
    from tflint_fn.config import SettingsResolver

    resolver = SettingsResolver()
    lint = lambda overlay: run(["."], resolver.for_path(copy), copy, resolver=resolver, overlay=overlay)
    before = lint({}).findings
    policy = lambda display: FixPolicy(frozenset(FIXABLE_CODES), unsafe=True)
    outcome = fix_rounds(lint, Sources(copy), policy)
    for path, data in outcome.fixed.items():
        _compiles(path.name, data)
        path.write_bytes(data)
    with_fix = sum(1 for f in before if f.fix is not None)
    assert outcome.count >= with_fix  # a fix may reveal another (a nested call)
    key = lambda f: (f.path, f.code)
    left = sorted(map(key, outcome.result.findings))
    expected_left = sorted(map(key, (f for f in before if f.fix is None)))
    assert left == expected_left
    again = fix_rounds(lint, Sources(copy), policy)
    assert again.count == 0 and not again.fixed


def test_identical_notebook_cells_are_each_fixed_and_commented(tmp_path):
    cell = "@tf.function\ndef f(x):\n    print('v', x)\n    return x\n"
    (tmp_path / "nb.ipynb").write_text(_notebook(["import sys\nimport tensorflow as tf\n", cell, cell]), encoding="utf-8")
    original = (tmp_path / "nb.ipynb").read_text(encoding="utf-8")
    assert run_cli("nb.ipynb", "--add-noqa", "--no-cache", cwd=tmp_path).returncode == 0
    sources = ["".join(c["source"]) for c in json.loads((tmp_path / "nb.ipynb").read_text(encoding="utf-8"))["cells"]]
    assert sources[1] == sources[2] == cell.replace("print('v', x)", "print('v', x)  # noqa: TFF101")
    (tmp_path / "nb.ipynb").write_text(original, encoding="utf-8")
    assert run_cli("nb.ipynb", "--fix", "--no-cache", cwd=tmp_path).returncode == 0
    sources = ["".join(c["source"]) for c in json.loads((tmp_path / "nb.ipynb").read_text(encoding="utf-8"))["cells"]]
    assert sources[1] == sources[2] == cell.replace("print('v', x)", "tf.print('v', x, output_stream=sys.stdout)")


def test_fix_that_cannot_be_written_is_one_line_and_exit_2(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from tflint_fn.cli import cli

    (tmp_path / "a.py").write_text("import tensorflow as tf\n\n@tf.function\ndef f(x):\n    print(x)\n    return x\n")
    before = (tmp_path / "a.py").read_bytes()

    def refused(source, target):
        raise PermissionError(13, "Permission denied")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(fix_apply.os, "replace", refused)
    result = CliRunner().invoke(cli, ["check", "a.py", "--fix", "--no-cache"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "tflint-fn: error: a.py: not fixed: Permission denied"
    assert (tmp_path / "a.py").read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["a.py"]


def test_the_package_knows_the_fixable_rules_without_importing_the_builders():
    import tflint_fn.fixes

    assert tflint_fn.fixes.FIXABLE_CODES == FIXABLE_CODES == frozenset(BUILDERS)


@pytest.mark.parametrize("use, applicability", [
    ("tf.zeros([x.shape[0], 2])", "safe"),
    ("tf.reshape(x, [x.shape[0] * 3])", "safe"),
    ("tf.ones([2]) / x.shape[0]", "unsafe"),  # an int32 tensor: float arithmetic needs a tf.cast
    ("[tf.constant(i) for i in range(x.shape[0])]", "unsafe"),  # range of a tensor: only where AutoGraph converts
])
def test_static_dimension_fix_safety_follows_the_use(lint, use, applicability):
    source = (
        "import tensorflow as tf\n\n\n@tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])\n"
        f"def f(x):\n    return {use}\n"
    )
    findings = [f for f in lint(source) if f.code == "TFF206"]
    assert findings and all(f.fix is not None and f.fix.applicability == applicability for f in findings), [
        (f.message, f.fix) for f in findings
    ]


def test_no_random_or_clock_fix_where_a_tensor_is_refused(lint):
    source = textwrap.dedent(
        """\
        import numpy as np
        import tensorflow as tf


        @tf.function
        def f(x):
            a = tf.constant(np.random.randn(2, 2), dtype=tf.float32)
            b = np.random.randn(2, 2)
            return x + a + b
        """
    )
    fixes = {f.start.line: f.fix for f in lint(source) if f.code == "TFF104"}
    assert fixes[7] is None  # tf.constant of a symbolic tensor raises TypeError (checked with TensorFlow 2.21)
    assert fixes[8] is not None and fixes[8].edits[-1].content == "tf.random.normal([2, 2])"


# --- TFF401 and TFF402 (call sites and loops) -----------------------------------------------------

def _fixed_text(tmp_path: Path, source, name: str = "a.py", code: str = "TFF401"):
    """The file after --fix --unsafe-fixes of ``code`` only (``None``: unchanged); ``source`` may be bytes."""
    path = tmp_path / name
    path.write_bytes(source if isinstance(source, bytes) else source.encode())
    outcome, _ = _fix(tmp_path, name, code, fixable={code})
    data = outcome.fixed.get(Path(os.path.abspath(path)))
    return None if data is None else data.decode()


_STEP = textwrap.dedent(
    """\
    import tensorflow as tf


    @tf.function
    def step(x, n):
        {body}


    def train(epochs):
        for epoch in range(epochs):
            step(tf.ones([2]), {argument})
    """
)


@pytest.mark.parametrize("body, argument, fixed", [
    ("return x * tf.cast(n, tf.float32)", "epoch", "tf.constant(epoch)"),
    ("return x * tf.cast(n, tf.float32)", "n=epoch", "n=tf.constant(epoch)"),
    ("return x * n", "float(epoch) * 0.5", "tf.constant(float(epoch) * 0.5)"),  # float32 meets float32
    ("return tf.minimum(x, n * 0.5)", "epoch / 10", "tf.constant(epoch / 10)"),
    ("return x", "epoch", "tf.constant(epoch)"),  # never read: a tensor changes nothing but the traces
    ("return n * 2.0", "float(epoch)", None),  # a Python float returned, a tensor after the fix
    ("return x * n", "epoch", None),  # int32 tensor * float tensor: TypeError
    ("return tf.minimum(1.0, n)", "epoch", None),  # the Python int became float32 there, a tensor stays int32
    ("return x if n > 0 else -x", "epoch", None),  # a Python test becomes a tensor condition
    ("return tf.add_n([x for _ in range(n)])", "epoch", None),
    ("return x * [1.0, 2.0, 3.0][n]", "epoch", None),  # a list index: TypeError with a tensor
    ("tf.print(f'step {n}')\n    return x", "epoch", None),  # the f-string would show the symbolic tensor
    ("return x * helper(n)", "epoch", None),  # a Python function's use is unknown
    ("return n", "float(epoch)", None),  # the caller would get a tensor
    ("n = tf.cast(n, tf.float32)\n    return x * n", "epoch", None),  # rebound
    ("return x * tf.cast(n, tf.float32)", "f'{epoch}'", None),  # a string
])
def test_varying_argument_is_wrapped_only_where_the_function_takes_a_tensor(tmp_path, body, argument, fixed):
    text = _fixed_text(tmp_path, _STEP.format(body=body, argument=argument))
    if fixed is None:
        assert text is None
    else:
        assert text == _STEP.format(body=body, argument=argument).replace(
            f"step(tf.ones([2]), {argument})", f"step(tf.ones([2]), {fixed})")


@pytest.mark.parametrize("start, update, fixed", [
    ("0.1", "rate *= 0.5", True),  # bound only to floats: a float32 tensor meets the float32 `x`
    ("1", "rate *= 2", False),  # an int
    ("0.1", "rate, other = rate / 2, 1", False),  # bound some other way
])
def test_varying_argument_named_by_a_float_variable(tmp_path, start, update, fixed):
    source = textwrap.dedent(
        f"""\
        import tensorflow as tf


        @tf.function
        def step(x, rate):
            return x * rate


        rate = {start}
        for _ in range(4):
            step(tf.ones([2]), rate)
            {update}
        """
    )
    text = _fixed_text(tmp_path, source)
    assert (text == source.replace("step(tf.ones([2]), rate)", "step(tf.ones([2]), tf.constant(rate))")) if fixed else (
        text is None)


def test_varying_argument_of_a_method_and_a_wrapped_function(tmp_path):
    source = textwrap.dedent(
        """\
        import tensorflow as tf


        def warmup(x, step):
            return x * tf.cast(step, tf.float32)


        fast = tf.function(warmup)


        class Trainer:
            @tf.function
            def step(self, x, i):
                return x * tf.cast(i, tf.float32)

            def run(self, x):
                for i in range(3):
                    self.step(x, i)
                    fast(x, i)
        """
    )
    text = _fixed_text(tmp_path, source)
    assert "self.step(x, tf.constant(i))" in text and "fast(x, tf.constant(i))" in text
    # `self` passed by hand: the arguments bind from the first parameter (asked of the builder directly)
    import libcst as cst

    from tflint_fn.fixes.edits import _bound_parameter
    from tflint_fn.fixes.units import Unit

    unit = Unit.parse(source.replace("self.step(x, i)", "Trainer.step(self, x, i)"))
    call = next(node for node in unit.positions if isinstance(node, cst.Call) and unit.code(node).startswith("Trainer"))
    method = next(node for node in unit.positions if isinstance(node, cst.FunctionDef) and node.name.value == "step")
    assert _bound_parameter(unit, method, call, call.args[2]) is None
    other = next(node for node in unit.positions if isinstance(node, cst.Call)
                 and unit.code(node) == "fast(x, i)")
    warmup = next(node for node in unit.positions if isinstance(node, cst.FunctionDef) and node.name.value == "warmup")
    assert _bound_parameter(unit, warmup, other, other.args[1]) == "step"


def test_varying_argument_passed_through_map_has_no_fix(tmp_path):
    """Regression: `map(step, range(k))` (a TFF401 finding since d03416b) was fixed as `tf.constant(range(k))`,
    bound to `step`'s second parameter; the call is `map`'s, not the tf.function's."""
    source = textwrap.dedent(
        """\
        import tensorflow as tf


        @tf.function
        def step(n, m=0):
            return tf.cast(m, tf.float32)


        def run(k):
            return list(map(step, range(k)))
        """
    )
    assert [f.code for f in run(["a.py"], resolve_settings(FileConfig()), tmp_path).findings] == ["TFF401"] if (
        tmp_path / "a.py").write_text(source) else False
    assert _fixed_text(tmp_path, source) is None


def test_varying_argument_of_a_tf_function_in_another_module_has_no_fix(tmp_path):
    (tmp_path / "steps.py").write_text("import tensorflow as tf\n\n\n@tf.function\ndef step(x, n):\n"
                                       "    return x * tf.cast(n, tf.float32)\n")
    (tmp_path / "a.py").write_text("from steps import step\n\n\ndef train(x):\n    for i in range(3):\n"
                                   "        step(x, i)\n")
    settings = resolve_settings(FileConfig())
    findings = run(["."], settings, tmp_path).findings
    assert [(f.code, f.path) for f in findings] == [("TFF401", "a.py")]  # found across modules...
    outcome = fix_rounds(lambda overlay: run(["."], settings, tmp_path, overlay=overlay), Sources(tmp_path),
                         lambda display: FixPolicy(frozenset(FIXABLE_CODES), True))
    assert outcome.count == 0  # ...but the body that says how `n` is used is not in this file


def test_varying_argument_in_a_notebook_with_the_function_in_an_earlier_cell(tmp_path):
    cells = ["import tensorflow as tf\n\n@tf.function\ndef step(x, n):\n    return x * tf.cast(n, tf.float32)\n",
             "%%time\nfor i in range(3):\n    step(tf.ones([2]), i)\n"]
    text = _fixed_text(tmp_path, _notebook(cells), name="nb.ipynb")
    sources = ["".join(cell["source"]) for cell in json.loads(text)["cells"]]
    assert sources == [cells[0], cells[1].replace("step(tf.ones([2]), i)", "step(tf.ones([2]), tf.constant(i))")]


def test_tf_function_made_in_a_loop_is_hoisted_out_of_every_loop_that_allows_it(tmp_path):
    source = textwrap.dedent(
        """\
        import tensorflow as tf


        def nested(model, batches, epochs):
            for epoch in range(epochs):
                for batch in batches:
                    step = tf.function(model.call)  # made here
                    step(batch)
        """
    )
    assert _fixed_text(tmp_path, source, code="TFF402") == source.replace(
        "    for epoch in range(epochs):\n        for batch in batches:\n            step = tf.function(model.call)  # made here\n",
        "    step = tf.function(model.call)  # made here\n    for epoch in range(epochs):\n        for batch in batches:\n",
    )
    crlf = source.replace("\n", "\r\n").encode()
    assert _fixed_text(tmp_path, crlf, code="TFF402") == _fixed_text(tmp_path, source, code="TFF402").replace("\n", "\r\n")


@pytest.mark.parametrize("loop", [
    # what the expression reads is bound in the loop
    "for i, batch in enumerate(batches):\n        step = tf.function(fns[i])\n        step(batch)",
    "for batch in batches:\n        model = rebuild(model)\n        step = tf.function(model.call)\n        step(batch)",
    "for batch in batches:\n        model.call = wrap(model.call)\n        step = tf.function(model.call)\n        step(batch)",
    # under an `if` in the loop: made only on some iterations
    ("for batch in batches:\n        if jit:\n            step = tf.function(model.call, jit_compile=True)\n"
     "            step(batch)\n        else:\n            step = tf.function(model.call)\n            step(batch)"),
    # `step` bound again in the loop
    "for batch in batches:\n        step = tf.function(model.call)\n        step(batch)\n        step = None",
    # read before it is made: the first iteration calls the `step` made before the loop
    ("step = tf.function(fns[0])\n    for batch in batches:\n        step(batch)\n        step = tf.function(model.call)\n"
     "        step(batch)"),
])
def test_tf_function_made_in_a_loop_stays_where_hoisting_would_change_it(tmp_path, loop):
    source = f"import tensorflow as tf\n\n\ndef run(model, batches, fns, jit):\n    {loop}\n"
    assert any(f.code == "TFF402" for f in run(["a.py"], resolve_settings(FileConfig()), tmp_path).findings) if (
        tmp_path / "a.py").write_text(source) else False
    assert _fixed_text(tmp_path, source, code="TFF402") is None


def test_hoisting_keeps_a_global_the_loop_changes_out_of_the_graph(tmp_path):
    source = textwrap.dedent(
        """\
        import tensorflow as tf

        offset = 1.0


        def shift(x):
            return x + offset


        def shifts(batches):
            global offset
            for batch in batches:
                offset = offset + 1.0
                tf.function(shift)(batch)
        """
    )
    assert _fixed_text(tmp_path, source, code="TFF402") is None  # one function would keep the first offset


def test_hoisted_tf_function_gets_a_name_the_file_does_not_use(tmp_path):
    source = textwrap.dedent(
        """\
        import tensorflow as tf


        def run(model, batches):
            fast_model_call = 3
            for batch in batches:
                tf.function(model.call)(batch * fast_model_call)
        """
    )
    text = _fixed_text(tmp_path, source, code="TFF402")
    assert "    fast_model_call_2 = tf.function(model.call)\n    for batch in batches:\n" in text
    assert "        fast_model_call_2(batch * fast_model_call)\n" in text


def test_tf_function_made_in_a_notebook_loop_is_hoisted_in_its_cell(tmp_path):
    cells = ["import tensorflow as tf\nmodel = tf.keras.layers.Dense(2)\n",
             "%%time\nfor batch in [tf.ones([1, 2])] * 3:\n    predict = tf.function(model.call)\n    predict(batch)\n"]
    text = _fixed_text(tmp_path, _notebook(cells), name="nb.ipynb", code="TFF402")
    sources = ["".join(cell["source"]) for cell in json.loads(text)["cells"]]
    assert sources == [cells[0], ("%%time\npredict = tf.function(model.call)\nfor batch in [tf.ones([1, 2])] * 3:\n"
                                  "    predict(batch)\n")]
