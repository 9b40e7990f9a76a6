"""``--dynamic`` against real TensorFlow: every verdict comes from really tracing.

Needs the ``dynamic`` extra; skipped without TensorFlow. Each test starts its
own worker processes, so the whole file takes a couple of minutes.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

pytest.importorskip("tensorflow")
pytestmark = pytest.mark.tensorflow

from tests.conftest import REPO  # noqa: E402
from tflint_fn.dynamic.runner import Options, Stats, run_jobs  # noqa: E402
from tflint_fn.reporters.rule_docs import examples  # noqa: E402

DATA = REPO / "tests" / "data" / "dynamic"
SCHEMA = json.loads((REPO / "tflint_fn" / "schema" / "findings-v1.json").read_text())
FIXTURE_EXAMPLES = DATA / "fixture_examples.py"


def dynamic_cli(*args, cwd, check_parent=True):
    """``tflint-fn --dynamic ... --format json``; also reports whether the parent imported TensorFlow."""
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('\\nPARENT-IMPORTED-TF=%s\\n' % ('tensorflow' in sys.modules)))\n"
        "from tflint_fn.cli import main\n"
        f"sys.argv = ['tflint-fn', '--dynamic', '--format', 'json', *{list(args)!r}]\n"
        "main()\n"
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=3600, env=env)  # a guard against hangs only
    assert result.returncode in (0, 1), result.stderr
    assert "PARENT-IMPORTED-TF=False" in result.stderr
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    return document["findings"]


@pytest.fixture(scope="module")
def fixture_findings():
    return dynamic_cli("--examples", str(FIXTURE_EXAMPLES), "fixtures", cwd=REPO)


# A fixture bug that TensorFlow cannot show: train_step fails at `values.sum()`
# (no `.sum()` on any tensor) in graph and eager mode alike, so a
# failed trace is retried on every call and the append runs on every call.
def at(path: str, text: str) -> tuple[str, int]:
    """``(path, line)`` of the one line of a fixture holding ``text``: no hard-coded line numbers."""
    lines = [n for n, line in enumerate((REPO / path).read_text().splitlines(), 1) if text in line]
    assert len(lines) == 1, f"{path}: {text!r} is on lines {lines}, not on one"
    return path, lines[0]


UNOBSERVABLE = {at("fixtures/training_pkg/trainer/metrics.py", "seen_batches.append(values)")}


def test_every_fixture_finding_has_a_verdict(fixture_findings):
    for finding in fixture_findings:
        verdict = finding["dynamic"]
        assert verdict["status"] in ("confirmed", "not-reproduced", "skipped", "error") and verdict["evidence"]


def test_every_fixture_bug_of_the_checked_families_is_confirmed(fixture_findings):
    families = ("TFF1", "TFF2", "TFF3", "TFF4")
    checked = [f for f in fixture_findings if f["code"].startswith(families)]
    assert len(checked) >= 30
    assert {f["code"][:4] for f in checked} == set(families)
    assert any("cell" in f for f in checked), "the notebook fixtures are part of the run"
    for finding in checked:
        where = (finding["path"], finding["start"]["line"])
        verdict = finding["dynamic"]
        if "cell" in finding:  # --dynamic imports modules, not notebooks: said so, never a verdict
            assert verdict["status"] == "skipped" and "in a notebook" in verdict["evidence"], verdict
            continue
        if where in UNOBSERVABLE:
            assert verdict["status"] == "skipped" and "fails" in verdict["evidence"], verdict
            continue
        assert verdict["status"] == "confirmed", (where, finding["code"], verdict)
        assert verdict["doc"] == f"rules/{finding['code']}.md" and verdict["hint"]


def test_fixture_evidence_is_what_tensorflow_did(fixture_findings):
    by_place = {(f["path"], f["start"]["line"]): f["dynamic"]["evidence"] for f in fixture_findings}
    loop = "fixtures/custom_training_loop/train.py"
    printed, appended = at(loop, 'print("loss", loss)'), at(loop, "loss_history.append(loss)")
    averaged, converted = at(loop, "np.mean(predictions == labels)"), at(loop, "return predictions.numpy()")
    # print and the list append: once per trace, against once per call eagerly
    assert re.search(rf"`print\(\"loss\", loss\)` \(line {printed[1]}\) ran [12] times? for 3 calls, 3 times when run eagerly",
                     by_place[printed])
    assert "symbolic tensor" in by_place[appended]
    # conversion failures: TensorFlow's exception class and message, at the flagged line
    assert by_place[averaged].startswith("NotImplementedError: Cannot convert a symbolic tf.Tensor")
    assert by_place[converted].startswith("AttributeError: 'SymbolicTensor' object has no attribute 'numpy'")
    assert f"line {averaged[1]} replaced by a stand-in" in by_place[converted]
    styles = at("fixtures/alias_styles/styles.py", "return bool(x)")
    assert by_place[styles].startswith("OperatorNotAllowedInGraphError: Using a symbolic `tf.Tensor` as a Python `bool`")
    assert "probe x=TensorSpec([], float32)" in by_place[styles]
    assert by_place[at("fixtures/gan/gan.py", "step = tf.Variable(0")].startswith(
        "ValueError: tf.function only supports singleton tf.Variables")
    assert "ran 1 time for 3 passes over the dataset" in by_place[at("fixtures/data_pipeline/pipeline.py", 'print("decoded"')]
    # an op error that escapes `except tf.errors...` when the graph runs, not while tracing
    assert by_place[at("fixtures/graph_control_flow/ops.py", "except tf.errors.InvalidArgumentError")].startswith(
        "traced, InvalidArgumentError: Input matrix is not invertible (when the graph ran) escaped")
    # retracing: TensorFlow's own count and signatures
    retraced = at("fixtures/retracing_loop/train.py", "train_step(features, epoch)")
    assert by_place[retraced].startswith("traced 3 times for 3 calls: step=0, 1, 2")
    assert "Literal[2]" in by_place[retraced]
    created = at("fixtures/retracing_loop/train.py", "fast = tf.function(scale)")
    assert "traced 3 times for 3 calls of `predict`" in by_place[created]


def test_clean_fixtures_stay_clean(fixture_findings):
    for finding in fixture_findings:
        assert not finding["path"].startswith(("fixtures/clean_idiomatic/", "fixtures/no_tensorflow/")), finding
    assert not [f for f in fixture_findings if f["code"] == "TFF900"]


def test_broken_modules_are_errors_and_the_others_still_run(tmp_path):
    # The modules that must finish run with the default limits; only the hang (it
    # hangs forever: no machine is fast enough to pass it) gets a short one, alone.
    shutil.copytree(DATA / "broken", tmp_path / "broken", ignore=shutil.ignore_patterns("e_hang.py", "pyproject.toml"))
    (tmp_path / "hang").mkdir()
    shutil.copy(DATA / "broken" / "e_hang.py", tmp_path / "hang")
    (tmp_path / "hang" / "pyproject.toml").write_text("[tool.tflint-fn.dynamic]\ntimeout = 3\n")
    findings = {Path(f["path"]).stem: f["dynamic"] for f in dynamic_cli(".", cwd=tmp_path / "broken")}
    findings.update({Path(f["path"]).stem: f["dynamic"] for f in dynamic_cli(".", cwd=tmp_path / "hang")})
    assert findings["a_segfault"]["status"] == "error" and "SIGSEGV" in findings["a_segfault"]["evidence"]
    assert findings["b_abort"]["status"] == "error" and "SIGABRT" in findings["b_abort"]["evidence"]
    assert findings["c_exit"]["status"] == "error" and "sys.exit(3)" in findings["c_exit"]["evidence"]
    assert findings["e_hang"]["status"] == "error" and "timed out after 3 s" in findings["e_hang"]["evidence"]
    assert "again after 6 s on a retry" in findings["e_hang"]["evidence"]
    assert findings["f_import_error"]["status"] == "error"
    assert "ModuleNotFoundError: No module named 'tflint_fn_no_such_module'" in findings["f_import_error"]["evidence"]
    # The modules after each crash, in restarted workers (after a hang: test_dynamic_isolation.py):
    assert findings["d_good"]["status"] == "confirmed", findings["d_good"]
    assert findings["g_after"]["status"] == "confirmed", findings["g_after"]


def _job(module_path: Path, findings: list[dict]) -> dict:
    for index, finding in enumerate(findings):
        finding.setdefault("id", index)
        finding.setdefault("path", str(module_path))
        finding.setdefault("end_line", finding["line"])
        finding.setdefault("column", 1)
        finding.setdefault("end_column", 200)
        finding["subject"] = {"module": module_path.stem, "path": str(module_path), "line": 1, "kind": "tf.function",
                              "class_qualname": None, "autograph": True, "input_signature": False,
                              "parameter": None, **finding["subject"]}
    return {"key": module_path.stem, "module": module_path.stem, "path": str(module_path),
            "roots": [str(module_path.parent)], "examples": None, "subjects": [], "findings": findings}


def _line(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_retracing_evidence_and_look_alikes():
    """Verdicts for findings given directly to the worker: the retracing family, and
    findings placed on correct code, which must never be confirmed."""
    path = DATA / "retrace" / "retrace_mod.py"
    job = _job(path, [
        # TFF401 at a call site: `step` receives Python ints
        {"code": "TFF401", "line": 3, "subject": {"qualname": "scale", "parameter": "step"}},
        # ... but with an input_signature, ints become tensors: one trace
        {"code": "TFF401", "line": 3, "subject": {"qualname": "scale_with_signature", "parameter": "step",
                                                   "input_signature": True}},
        # TFF405: NumPy arrays of three shapes
        {"code": "TFF405", "line": 3, "subject": {"qualname": "total", "parameter": "values"}},
        {"code": "TFF405", "line": 3, "subject": {"qualname": "total_with_signature", "parameter": "values"}},
        # Look-alikes: tf.print and a tf.Variable update run on every call
        {"code": "TFF101", "line": _line(path, "tf.print"), "subject": {"qualname": "Counter.__call__",
                                                                        "class_qualname": "Counter"}},
        {"code": "TFF103", "line": _line(path, "assign_add"), "subject": {"qualname": "Counter.__call__",
                                                                          "class_qualname": "Counter"}},
        {"code": "TFF201", "line": _line(path, "x * tf.cast"), "subject": {"qualname": "scale"}},
    ])
    broken = _job(path, [{"code": "TFF101", "line": _line(path, "tf.print"), "subject": {"qualname": "scale"}}])
    broken.update(key="broken", examples=str(DATA / "bad_examples.py"))
    outcomes = run_jobs([job, broken], Options(timeout=120), DATA / "retrace", Stats())
    assert outcomes["broken"]["results"]["0"] == {
        "status": "error",
        "evidence": f"examples module {DATA / 'bad_examples.py'} cannot be imported: RuntimeError: examples are broken",
    }
    results = outcomes["retrace_mod"]["results"]
    verdicts = [results[str(i)] for i in range(7)]
    assert verdicts[0]["status"] == "confirmed", verdicts[0]
    assert verdicts[0]["evidence"].startswith("traced 3 times for 3 calls: step=0, 1, 2")
    assert "Literal[0]" in verdicts[0]["evidence"]  # TensorFlow's own concrete signatures
    assert verdicts[1]["status"] == "not-reproduced" and "traced 1 time" in verdicts[1]["evidence"]
    assert verdicts[2]["status"] == "confirmed", verdicts[2]
    assert verdicts[2]["evidence"].startswith("traced 3 times for 3 calls: values=float32[1], float32[2], float32[3]")
    assert verdicts[3]["status"] == "not-reproduced", verdicts[3]
    for verdict in verdicts[4:]:
        assert verdict["status"] == "not-reproduced", verdict
    assert "made no Python call to `print`" in verdicts[4]["evidence"]  # tf.print prints from the graph


def _write_examples(folder: Path, kind: str, codes=None) -> dict[str, str]:
    """Every ``kind`` example of the rule docs as a module; returns module -> doc."""
    written = {}
    for doc in sorted((REPO / "rules").glob("TFF*.md")):
        if codes is not None and doc.stem not in codes:
            continue
        for example in examples(doc.read_text(encoding="utf-8")):
            # A notebook example is not a module --dynamic can import (its findings are skipped, said so).
            if example.kind == kind and not example.notebook:
                name = f"{doc.stem.lower()}_{kind}_{example.first_line}"
                (folder / f"{name}.py").write_text(example.code, encoding="utf-8")
                written[name] = doc.stem
    return written


def test_no_good_rule_example_is_reported_dynamically(tmp_path):
    written = _write_examples(tmp_path, "good")
    assert len(written) >= 40
    findings = dynamic_cli(".", cwd=tmp_path)
    assert findings == [], [(f["path"], f["code"], f["dynamic"]) for f in findings]


def test_fails_to_trace_examples(tmp_path):
    bad = _write_examples(tmp_path, "bad", {"TFF900"})
    findings = dynamic_cli(".", cwd=tmp_path)
    assert {Path(f["path"]).stem for f in findings} == set(bad)
    for finding in findings:
        source = (tmp_path / finding["path"]).read_text().splitlines()
        assert finding["code"] == "TFF900" and source[finding["start"]["line"] - 1].rstrip().endswith("# TFF900")
        assert finding["dynamic"]["status"] == "confirmed"
        assert finding["dynamic"]["evidence"].startswith("TypeError: list indices must be integers")
    shutil.rmtree(tmp_path)
    tmp_path.mkdir()
    _write_examples(tmp_path, "good", {"TFF900"})
    assert dynamic_cli(".", cwd=tmp_path) == []
