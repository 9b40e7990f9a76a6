"""``--dynamic`` without TensorFlow: the command line, jobs, and output plumbing.

The tests that trace with real TensorFlow are in ``test_dynamic_tf.py``.
"""

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import REPO, run_cli
from tflint_fn.dynamic.runner import DynamicError, _root_of, build_jobs, options_from
from tflint_fn.engine import Result
from tflint_fn.findings import Finding, Position, Subject
from tflint_fn.reporters.json import to_document
from tflint_fn.reporters.text import render_text

SCHEMA = json.loads((REPO / "tflint_fn" / "schema" / "findings-v1.json").read_text())


def _cli_without_tensorflow(*args, cwd):
    """The CLI in a process where TensorFlow cannot be found."""
    code = (
        "import sys; sys.modules['tensorflow'] = None\n"
        "from tflint_fn.cli import main\n"
        f"sys.argv = ['tflint-fn', *{list(args)!r}]\n"
        "main()\n"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_dynamic_without_tensorflow_exits_2_naming_the_extra(tmp_path):
    (tmp_path / "m.py").write_text("import tensorflow as tf\n\n@tf.function\ndef f(x):\n    print(x)\n    return x\n")
    result = _cli_without_tensorflow("--dynamic", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert 'pip install -e ".[dynamic]" in a clone of tflint-fn' in result.stderr
    assert "Traceback" not in result.stderr


def test_dynamic_options_need_dynamic(tmp_path):
    (tmp_path / "m.py").write_text("x = 1\n")
    result = run_cli("--examples", "x.py", ".", cwd=tmp_path)
    assert result.returncode == 2 and "--dynamic" in result.stderr
    # --jobs also sets the static run's processes; it must be positive.
    assert run_cli("--jobs", "2", ".", cwd=tmp_path).returncode == 0
    result = run_cli("--jobs", "0", ".", cwd=tmp_path)
    assert result.returncode == 2 and "--jobs 0" in result.stderr and "Traceback" not in result.stderr


def test_dynamic_refuses_stdin(tmp_path):
    result = run_cli("--dynamic", "--stdin-filename", "m.py", "-", cwd=tmp_path, stdin="x = 1\n")
    assert result.returncode == 2 and "stdin" in result.stderr


def test_missing_examples_module_is_a_clear_error(tmp_path):
    with pytest.raises(DynamicError, match="no such file"):
        options_from({"examples": "tests/nope.py"}, tmp_path, None, None, progress=False)
    with pytest.raises(DynamicError, match="jobs"):
        options_from({}, tmp_path, 0, None, progress=False)
    with pytest.raises(DynamicError, match="timeout"):
        options_from({"timeout": 0}, tmp_path, None, None, progress=False)


def test_options_from_config(tmp_path):
    (tmp_path / "ex.py").write_text("EXAMPLES = {}\n")
    options = options_from({"timeout": 5, "memory-limit-mb": 4096, "examples": "ex.py"}, tmp_path, 3, None, False)
    assert (options.timeout, options.memory_mb, options.jobs) == (5.0, 4096, 3)
    assert options.examples == (tmp_path / "ex.py").absolute()


def test_root_of_a_module_and_a_package(tmp_path):
    assert _root_of(tmp_path / "src" / "pkg" / "sub" / "mod.py", "pkg.sub.mod") == tmp_path / "src"
    assert _root_of(tmp_path / "pkg" / "__init__.py", "pkg") == tmp_path
    assert _root_of(tmp_path / "flat.py", "flat") == tmp_path


def _finding(code="TFF101", path="a/m.py", subject=None, **dynamic):
    return Finding(code, "print-in-graph", "error", "message", path, Position(3, 5), Position(3, 9),
                   function="f", subject=subject, dynamic=dynamic or None)


def test_jobs_group_findings_by_the_root_they_are_about(tmp_path):
    root = Subject("m", "f", "a/m.py", 2, "tf.function")
    other = Subject("m", "g", "a/m.py", 8, "tf.function")
    same_name = Subject("m", "f", "b/m.py", 2, "tf.function")
    findings = [_finding(subject=root), _finding(path="a/helper.py", subject=root), _finding(code="TFF001")]
    jobs = build_jobs(findings, [root, other, same_name], tmp_path, None, None)
    assert [(j["module"], Path(j["path"]).parent.name) for j in jobs] == [("m", "a"), ("m", "b")]
    first = jobs[0]
    assert [s["qualname"] for s in first["subjects"]] == ["f", "g"]
    assert [f["id"] for f in first["findings"]] == [0, 1]  # TFF001 has no subject: not sent
    assert first["roots"][0] == str(tmp_path / "a")
    assert jobs[1]["findings"] == []


def test_text_and_json_show_the_verdict(tmp_path):
    finding = _finding(status="confirmed", evidence="print ran 1 time for 3 calls", hint="use tf.print",
                       doc="rules/TFF101.md")
    result = Result([finding], 1, [], {})
    assert "[confirmed: print ran 1 time for 3 calls]" in render_text(result)
    document = to_document(result)
    jsonschema.validate(document, SCHEMA)
    assert document["findings"][0]["dynamic"]["status"] == "confirmed"


def test_pre_commit_has_an_opt_in_dynamic_hook():
    text = (REPO / ".pre-commit-hooks.yaml").read_text()
    assert "id: tflint-fn-dynamic" in text
    block = text.split("id: tflint-fn-dynamic", 1)[1]
    assert "language: system" in block and "--dynamic" in block


def test_sarif_and_github_carry_the_verdict():
    from tflint_fn.reporters.github import render_github
    from tflint_fn.reporters.sarif import render_sarif

    finding = _finding(status="not-reproduced", evidence="ran 3 times for 3 calls", hint="h", doc="rules/TFF101.md")
    result = Result([finding], 1, [], {})
    assert "[not-reproduced: ran 3 times for 3 calls]" in render_github(result)
    document = json.loads(render_sarif(result))
    sarif_schema = json.loads((REPO / "tests" / "data" / "sarif-2.1.0-rtm.5.json").read_text())
    jsonschema.Draft4Validator(sarif_schema).validate(document)
    entry = document["runs"][0]["results"][0]
    assert entry["message"]["text"].endswith("[not-reproduced: ran 3 times for 3 calls]")
    assert entry["properties"]["dynamic"]["status"] == "not-reproduced"


# The worker's helpers that need no TensorFlow: how an error is told to the user.
from tflint_fn.dynamic.errors import describe_exception, error_locations  # noqa: E402


class OperatorNotAllowedInGraphError(TypeError):
    pass


def test_autograph_errors_are_unwrapped_to_the_original():
    message = (
        "in user code:\n\n"
        '    File "/p/m.py", line 8, in f  *\n        return x.numpy()\n\n'
        "    AttributeError: 'SymbolicTensor' object has no attribute 'numpy'\n"
    )
    assert describe_exception(AttributeError(message)) == "AttributeError: 'SymbolicTensor' object has no attribute 'numpy'"
    staged = type("StagingError", (Exception,), {})(
        'in user code:\n\n    File "/p/m.py", line 3, in f  *\n        ...\n\n    RecursionError: maximum recursion depth exceeded\n'
    )
    assert describe_exception(staged) == "RecursionError: maximum recursion depth exceeded (raised as StagingError)"


def test_keras_errors_and_long_messages_are_cut_to_the_first_sentence():
    error = OperatorNotAllowedInGraphError(
        "Exception encountered when calling L.call().\n\n\x1b[1mUsing a symbolic `tf.Tensor` as a Python `bool` is "
        "not allowed. You can attempt the following resolutions to the problem: ...\x1b[0m\n\nArguments received ..."
    )
    assert describe_exception(error) == (
        "OperatorNotAllowedInGraphError: Using a symbolic `tf.Tensor` as a Python `bool` is not allowed"
    )
    assert describe_exception(SystemExit(3)) == "SystemExit: sys.exit(3) was called"


def test_error_location_prefers_autograph_frames_then_the_traceback():
    def user_file(path):
        return path.startswith("/p/")

    error = ValueError('in user code:\n    File "/p/a.py", line 3, in f\n    File "/p/b.py", line 9, in g\n    File "/lib/x.py", line 1\n')
    assert error_locations(error, user_file) == [("/p/b.py", 9)]
    try:
        raise KeyError("plain")
    except KeyError as raised:
        here = error_locations(raised, lambda path: path == __file__)
    assert here and here[0][0] == __file__
    assert error_locations(ValueError("no frames"), user_file) == []
