"""``--dynamic`` with ``--fix``/``--diff`` without TensorFlow: options, and what happens to an unproven fix.

The proofs themselves run in a worker with TensorFlow (``test_fixes_tf.py``);
here the worker is replaced by a function that answers as it would, so the
parent's rules are checked alone: only proven fixes are written or shown,
the others are reported with their evidence, in text and in JSON.
"""

import json
import subprocess
import sys
import textwrap

import jsonschema
import pytest

from tests.conftest import REPO
from tflint_fn.config import FileConfig, resolve_settings
from tflint_fn.dynamic.runner import Options
from tflint_fn.engine import run
from tflint_fn.findings import Finding, Position, Subject
from tflint_fn.fixes import command as fix_command
from tflint_fn.fixes.apply import FileText
from tflint_fn.fixes.edits import FileFixer
from tflint_fn.fixes.proof import FixProver
from tflint_fn.fixes.signature import signature_plan
from tflint_fn.reporters.json import to_document

SCHEMA = json.loads((REPO / "tflint_fn" / "schema" / "findings-v1.json").read_text())

TWO_STEPS = textwrap.dedent(
    """\
    import tensorflow as tf


    @tf.function
    def good(x):
        print("good", x)
        return x + 1


    @tf.function
    def bad(x):
        print("bad", x)
        return x * 2
    """
)


def _cli_without_tensorflow(*args, cwd):
    code = (
        "import sys; sys.modules['tensorflow'] = None\n"
        "from tflint_fn.cli import main\n"
        f"sys.argv = ['tflint-fn', *{list(args)!r}]\n"
        "main()\n"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("mode", [["--fix"], ["--diff"], ["--fix-only"], ["--fix", "--unsafe-fixes"]])
def test_fix_modes_with_dynamic_need_tensorflow_in_one_line(tmp_path, mode):
    (tmp_path / "m.py").write_text(TWO_STEPS)
    shown = _cli_without_tensorflow(*mode, "--dynamic", ".", cwd=tmp_path)
    assert shown.returncode == 2
    assert len(shown.stderr.splitlines()) == 1 and shown.stderr.startswith("tflint-fn: error: --dynamic needs TensorFlow")
    assert 'pip install -e ".[dynamic]"' in shown.stderr
    assert (tmp_path / "m.py").read_text() == TWO_STEPS  # nothing written


class FakeWorker:
    """Answers proof jobs as the worker would: ``verdicts`` by qualname; records the jobs."""

    def __init__(self, verdicts: dict[str, tuple[str, str]]) -> None:
        self.verdicts = verdicts
        self.jobs: list[dict] = []

    def __call__(self, jobs, options, cwd, stats):
        self.jobs.extend(jobs)
        results = {}
        for job in jobs:
            results[job["key"]] = {"module": job["module"], "new": [], "results": {
                str(p["id"]): dict(zip(("status", "evidence"), self.verdicts[p["subject"]["qualname"]]))
                for p in job["findings"]
            }}
        return results


def _run_mode(tmp_path, mode, worker, unsafe=False):
    settings = resolve_settings(FileConfig())

    def lint(overlay):
        return run(["."], settings, tmp_path, overlay=overlay, collect_targets=True)

    prover = FixProver(tmp_path, Options(), None, run_jobs=worker)
    output = fix_command.run_mode(mode, lint, tmp_path, lambda path: settings, unsafe, None, False, True,
                                  prover=prover)
    return output, prover


def test_an_unproven_fix_is_not_written_and_a_proven_one_is(tmp_path):
    (tmp_path / "m.py").write_text(TWO_STEPS)
    worker = FakeWorker({"good": ("proven", "traced 1 time for 3 calls, outputs equal to eager"),
                         "bad": ("not-proven", "outputs differ: call 1: [4.] instead of [3.]")})
    output, _ = _run_mode(tmp_path, "fix", worker)
    text = (tmp_path / "m.py").read_text()
    assert 'tf.print("good", x, output_stream=sys.stdout)' in text
    assert 'print("bad", x)' in text and 'tf.print("bad"' not in text
    # The worker was given each root's module with the fixed text it proves.
    first = worker.jobs[0]
    assert first["module"] == "m" and 'tf.print("good"' in first["fixed"] and 'tf.print("bad"' in first["fixed"]
    assert {p["subject"]["qualname"] for p in first["findings"]} == {"good", "bad"}
    # The second attempt proves the text without the refused fix.
    assert 'tf.print("bad"' not in worker.jobs[-1]["fixed"]
    assert output.fixed == 1
    assert "Fixed 1 finding." in output.stdout
    assert "m.py:6:5: TFF101 fix proven: traced 1 time for 3 calls, outputs equal to eager; TFF101 no longer reported" \
        in output.stdout
    assert ("m.py:12:5: TFF101 fix not proven, not written: outputs differ: call 1: [4.] instead of [3.]"
            in output.stdout)
    # JSON: the finding left carries the proof of its fix; `fixes` lists both, valid against the schema.
    output.result.fixes = output.fixes
    document = to_document(output.result)
    jsonschema.validate(document, SCHEMA)
    [left] = document["findings"]
    assert left["function"] == "bad" and left["fix"]["proof"]["status"] == "not-proven"
    assert [(f["function"], f["written"], f["proof"]["status"]) for f in document["fixes"]] == [
        ("bad", False, "not-proven"), ("good", True, "proven")]


def test_diff_shows_only_proven_fixes_and_names_the_others(tmp_path):
    (tmp_path / "m.py").write_text(TWO_STEPS)
    worker = FakeWorker({"good": ("proven", "traced 1 time for 3 calls, outputs equal to eager"),
                         "bad": ("untested", "the original has no eager result to compare: it raises ...")})
    output, _ = _run_mode(tmp_path, "diff", worker)
    assert '+    tf.print("good", x, output_stream=sys.stdout)' in output.stdout
    assert '"bad"' not in output.stdout
    assert output.exit_code == 1
    assert any(line.startswith("m.py:12:5: TFF101 fix untested, left out of the diff: the original has no eager")
               for line in output.stderr)
    assert (tmp_path / "m.py").read_text() == TWO_STEPS


def test_nothing_proven_writes_nothing(tmp_path):
    (tmp_path / "m.py").write_text(TWO_STEPS)
    worker = FakeWorker({"good": ("not-proven", "the fixed code fails under tf.function: ..."),
                         "bad": ("not-proven", "outputs differ")})
    output, _ = _run_mode(tmp_path, "fix", worker)
    assert (tmp_path / "m.py").read_text() == TWO_STEPS
    assert output.fixed == 0 and "Fixed" not in output.stdout


HELPER = "import tensorflow as tf\n\n\ndef show(x):\n    print(x)\n    return x\n"
TRAIN = "import tensorflow as tf\n\nfrom helpers import show\n\n\n@tf.function\ndef step(x):\n    return show(x)\n"


@pytest.mark.parametrize("status", ["proven", "not-proven"])
def test_a_fix_in_another_module_than_its_root_goes_to_the_root_with_the_fixed_helper(tmp_path, status):
    """The helper's fixed text travels with the root's job (``edited``), the root's own file unchanged."""
    (tmp_path / "helpers.py").write_text(HELPER)
    (tmp_path / "train.py").write_text(TRAIN)
    worker = FakeWorker({"step": (status, "evidence")})
    _, prover = _run_mode(tmp_path, "fix", worker)
    [job] = worker.jobs
    assert job["module"] == "train" and job["fixed"] is None
    [proof] = job["findings"]
    assert list(proof["edited"]) == [str(tmp_path / "helpers.py")]
    assert "tf.print(x, output_stream=sys.stdout)" in proof["edited"][str(tmp_path / "helpers.py")]
    [tried] = prover.tried
    assert tried.proof["status"] == status and tried.written == (status == "proven")
    assert ("tf.print(x" in (tmp_path / "helpers.py").read_text()) == (status == "proven")
    assert (tmp_path / "train.py").read_text() == TRAIN


# ---------------------------------------------------------------- the input_signature edit


SPECS = [{"name": "x", "shape": [None, 3], "dtype": "float32"}, {"name": "step", "shape": [], "dtype": "int32"}]


def _signature_edit(source: str, qualname: str = "step", subject_path: str = "m.py") -> str | None:
    file = FileText.read(source.encode(), notebook=False)
    subject = Subject("m", qualname, subject_path, 1, "tf.function", parameter="n")
    finding = Finding("TFF401", "varying-python-argument", "warning", "m", "m.py", Position(1, 1), Position(1, 2),
                      subject=subject)
    plan = signature_plan(FileFixer(file.units), finding, SPECS)
    if plan is None:
        return None
    assert plan.applicability == "unsafe"
    text = file.units[0].text
    for edit in sorted(plan.edits, key=lambda e: e.start, reverse=True):
        text = text[:edit.start] + edit.content + text[edit.end:]
    return text


SIGNATURE = ("input_signature=[tf.TensorSpec(shape=[None, 3], dtype=tf.float32), "
             "tf.TensorSpec(shape=[], dtype=tf.int32)]")


@pytest.mark.parametrize("before, after", [
    ("@tf.function\ndef step(x, n):", f"@tf.function({SIGNATURE})\ndef step(x, n):"),
    ("@tf.function(jit_compile=True)\ndef step(x, n):", f"@tf.function(jit_compile=True, {SIGNATURE})\ndef step(x, n):"),
    ("@tf.function(\n    jit_compile=True,\n)\ndef step(x, n):",
     f"@tf.function(\n    jit_compile=True,\n{SIGNATURE})\ndef step(x, n):"),
    ("@tf.function()\ndef step(x, n):", f"@tf.function({SIGNATURE})\ndef step(x, n):"),
    ("def step(x, n):\n    return x\n\n\nfast = tf.function(step)", None),  # the qualname is `step`: see below
])
def test_the_decorator_gets_the_signature_and_keeps_its_arguments(before, after):
    source = f"import tensorflow as tf\n\n\n{before}\n    return x\n" if after else f"import tensorflow as tf\n\n\n{before}\n"
    fixed = _signature_edit(source)
    if after is None:
        assert fixed == source.replace("tf.function(step)", f"tf.function(step, {SIGNATURE})")
    else:
        assert fixed == f"import tensorflow as tf\n\n\n{after}\n    return x\n"


def test_a_method_and_another_alias():
    source = "import tensorflow as tflow\n\n\nclass M:\n    @tflow.function\n    def step(self, x, n):\n        return x\n"
    fixed = _signature_edit(source, "M.step")
    assert "@tflow.function(input_signature=[tflow.TensorSpec(shape=[None, 3], dtype=tflow.float32)," in fixed


@pytest.mark.parametrize("source, qualname, subject_path", [
    ("import tensorflow as tf\n\n\n@tf.function(input_signature=[])\ndef step(x, n):\n    return x\n", "step", "m.py"),
    ("import tensorflow as tf\n\n\n@tf.function\ndef step(x, n):\n    return x\n", "step", "other.py"),
    ("import tensorflow as tf\n\n\ndef outer():\n    @tf.function\n    def step(x, n):\n        return x\n",
     "outer.<locals>.step", "m.py"),
    ("import functools\n\n\n@functools.lru_cache\ndef step(x, n):\n    return x\n", "step", "m.py"),
])
def test_no_signature_edit_where_none_is_right(source, qualname, subject_path):
    assert _signature_edit(source, qualname, subject_path) is None


def test_a_refused_fix_is_not_offered_in_the_text_report(tmp_path):
    from tflint_fn.reporters.text import render_text

    (tmp_path / "m.py").write_text(TWO_STEPS)
    worker = FakeWorker({"good": ("proven", "traced 1 time for 3 calls, outputs equal to eager"),
                         "bad": ("not-proven", "outputs differ")})
    output, _ = _run_mode(tmp_path, "fix", worker)
    text = render_text(output.result)
    assert "TFF101 [print-in-graph] `print`" in text and "[*]" not in text and "fixable" not in text
