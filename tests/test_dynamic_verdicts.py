"""``--dynamic`` verdicts that hold: confirmed only on the pattern a rule claims.

Issue 10, items 9, 10, 13 and 14: a line never seen running under tracing is
no evidence (a ``tf.py_function`` body runs on TensorFlow's own threads);
NumPy's generators, clocks and I/O are counted for TFF104; two files with the
same function keep their own verdicts; nested functions, Keras layers whose
constructor needs arguments and functions that need Python or rank-4 inputs
are reached, and what cannot be reached says exactly why. Needs TensorFlow;
each test starts its own worker.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("tensorflow")
pytestmark = pytest.mark.tensorflow

from tests.conftest import REPO  # noqa: E402
from tflint_fn.dynamic.runner import Options, Stats, run_jobs  # noqa: E402

DATA = REPO / "tests" / "data" / "dynamic" / "verdicts"


def dynamic_cli(*args, cwd):
    """``tflint-fn --dynamic --format json``: the findings, by (file name, line)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run([sys.executable, "-m", "tflint_fn", "--dynamic", "--format", "json", *args],
                            cwd=cwd, capture_output=True, text=True, timeout=900, env=env)
    assert result.returncode in (0, 1), result.stderr
    return {(Path(f["path"]).name, f["start"]["line"]): f for f in json.loads(result.stdout)["findings"]}


def line_of(path: Path, text: str, indented: bool = False) -> int:
    """The first line holding ``text`` (inside a function, with ``indented``)."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1)
                if text in line and (not indented or line.startswith(" ")))


def worker_job(path: Path, findings: list[dict]) -> dict:
    """A job for findings placed by hand: what the linter would send the worker."""
    for index, finding in enumerate(findings):
        finding.update(id=index, path=str(path), end_line=finding["line"], column=1, end_column=200, function=None)
        finding["subject"] = {"module": path.stem, "path": str(path), "line": 1, "kind": "tf.function",
                              "class_qualname": None, "autograph": True, "input_signature": False,
                              "parameter": None, **finding["subject"]}
    return {"key": path.stem, "module": path.stem, "path": str(path), "roots": [str(path.parent)],
            "examples": None, "subjects": [], "findings": findings}


# -- item 9: no verdict from a line that never ran under tracing


def test_a_line_tracing_never_ran_is_not_confirmed():
    """A py_function body runs on every call (on TensorFlow's threads); an eager-only branch never runs traced."""
    path = DATA / "threads" / "pyfunc_mod.py"
    job = worker_job(path, [
        {"code": "TFF101", "line": line_of(path, 'print("body ran", x)'), "subject": {"qualname": "step"}},
        {"code": "TFF102", "line": line_of(path, "calls.append(1)"), "subject": {"qualname": "step"}},
        {"code": "TFF101", "line": line_of(path, 'print("eagerly", x)'), "subject": {"qualname": "eager_only"}},
    ])
    results = run_jobs([job], Options(timeout=300), path.parent, Stats())["pyfunc_mod"]["results"]
    body_print, body_append, eager_print = (results[str(i)] for i in range(3))
    # Counted on the thread TensorFlow runs the body on: once per call, in both modes.
    for verdict, label in ((body_print, 'print("body ran", x)'), (body_append, "calls.append(1)")):
        assert verdict["status"] == "not-reproduced", verdict
        assert verdict["evidence"].startswith(f"`{label}` (line {line_of(path, label)}) ran 3 times for 3 calls, "
                                              "3 times when run eagerly"), verdict
    # Ran only eagerly: 0 runs while tracing is no trace-time effect.
    assert eager_print["status"] == "skipped", eager_print
    assert "ran 3 times when run eagerly but was not seen running while tracing" in eager_print["evidence"]


# -- item 10: TFF104 evidence for NumPy's RNG, clocks and I/O


def test_numpy_rng_clocks_and_io_are_counted():
    path = DATA / "rng" / "rng_mod.py"
    findings = dynamic_cli(".", cwd=path.parent)
    expected = {  # the call each function makes, as the label shows it
        "np.random.normal()": True, "uniform()": True, "rng.normal()": True, "legacy.rand()": True,
        "random.random()": False, "time.time()": False, "datetime.datetime.now()": False,
        "open(__file__)": False, 'os.environ.get("TFLINT_FN_VERDICTS_VA...': False, "uuid.uuid4()": False,
        "np.random.default_rng()": False,
    }
    assert {f["code"] for f in findings.values()} == {"TFF104"} and len(findings) == len(expected)
    for label, numpy in expected.items():
        line = line_of(path, label.split("(")[0] + "(", indented=True)
        verdict = findings[("rng_mod.py", line)]["dynamic"]
        assert verdict["status"] == "confirmed", (label, verdict)
        assert verdict["evidence"].startswith(f"`{label}` (line {line}) ran 1 time for 3 calls, 3 times when run eagerly")
        # NumPy's generator drew once (at trace time) against once per call eagerly.
        assert ("NumPy's generator drew 1 time while tracing and calling, 3 times eagerly" in verdict["evidence"]) == numpy
    # A generator made on the line: a Cython call no profiling event shows, so its line's runs are counted.
    fresh = findings[("rng_mod.py", line_of(path, "np.random.default_rng(", indented=True))]["dynamic"]["evidence"]
    assert "`default_rng` is compiled code that no profiling event shows: the line's runs are counted" in fresh


# -- item 13: identical functions in two files


def test_identical_functions_in_two_files_keep_their_own_verdicts():
    folder = DATA / "twins"
    first, second = folder / "first_copy.py", folder / "second_copy.py"
    assert first.read_text().splitlines()[1:] == second.read_text().splitlines()[1:]
    findings = dynamic_cli(".", cwd=folder)
    assert len(findings) == 8
    for name, other in (("first_copy.py", "second_copy.py"), ("second_copy.py", "first_copy.py")):
        verdicts = {line: f["dynamic"] for (file, line), f in findings.items() if file == name}
        for verdict in verdicts.values():
            assert verdict["status"] == "confirmed", (name, verdict)
            assert other not in verdict["evidence"], (name, verdict)
        print_line, append_line = line_of(first, "print("), line_of(first, "history.append")
        assert verdicts[print_line]["evidence"].startswith(f'`print("in step", x)` (line {print_line}) ran 1 time')
        assert verdicts[append_line]["evidence"].startswith(f"`history.append(x)` (line {append_line}) ran 1 time")
        numpy_line = line_of(first, "y.numpy()")
        assert f"(at {name}:{numpy_line}, while tracing" in verdicts[numpy_line]["evidence"], verdicts[numpy_line]
        retrace = verdicts[line_of(first, "scale(tf.constant")]["evidence"]
        assert retrace.startswith("traced 3 times for 3 calls: factor=0, 1, 2") and "Literal[2]" in retrace


# -- item 14: coverage gaps


def test_nested_functions_layers_with_arguments_and_picky_inputs_are_reached():
    path = DATA / "coverage" / "coverage_mod.py"
    findings = dynamic_cli(".", cwd=path.parent)

    def verdict(text):
        return findings[("coverage_mod.py", line_of(path, f'print("in {text}", '))]["dynamic"]

    reached = {
        # a factory: the tf.function it returns is traced with its own probes
        "step": "the function built by `make_step` called with probe scale=TensorSpec([None], float32)",
        # the enclosing function calls the nested tf.function itself (built once, cached)
        "double": "ran 1 time for 3 calls of `cached_double`, 3 times when run eagerly",
        # the constructor's required argument from its type hint
        "Scale": "an instance `Scale(factor=0.5)` from its type hints",
        # a parameter hinted `int` is a Python value, not a tensor probe
        "repeat": "times=2",
        # an image-shaped probe
        "first_channel": "images=TensorSpec([None, None, None, None], float32)",
        # a factory method: called on an instance made from the constructor's type hints
        "train": "the function built by `Trainer.make_step` called with no arguments on an instance "
                 "`Trainer(rate=0.5)` from its type hints",
    }
    for name, evidence in reached.items():
        assert verdict(name)["status"] == "confirmed", (name, verdict(name))
        assert evidence in verdict(name)["evidence"], (name, verdict(name))
        assert " ran 1 time for 3 " in verdict(name)["evidence"]
    # What cannot be reached says exactly why.
    shift = verdict("Shift")
    assert shift["status"] == "skipped"
    assert shift["evidence"].startswith("needs an example: `Shift()` needs `offset`: no default, and no type hint")
    assert "declare `coverage_mod:Shift`" in shift["evidence"]
    apply = verdict("apply")
    assert apply["status"] == "skipped"
    assert apply["evidence"].startswith("`build_from.<locals>.apply` is defined inside `build_from`, which fails "
                                        "with every input tried (")
    assert "declare an example for `coverage_mod:build_from`" in apply["evidence"]
