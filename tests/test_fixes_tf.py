"""Every fix of a bad rule-doc example, run with TensorFlow: the fixed code traces, and matches
the eager run of the original (where the original has an eager result)."""

import os
import re
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO
from tflint_fn.config import FileConfig, resolve_settings
from tflint_fn.engine import run
from tflint_fn.fixes.edits import FIXABLE_CODES, NUMPY_EQUIVALENTS
from tflint_fn.fixes.runner import FixPolicy, Sources, fix_rounds
from tflint_fn.reporters.rule_docs import examples

pytestmark = pytest.mark.tensorflow

# (rule, n-th bad example) -> (expression on the original, run eagerly; expression on the fixed code, traced;
#                              how to compare). `None` as the eager expression: the original has no eager result.
CASES = {
    ("TFF101", 0): ("train_step(tf.constant(2.0))", "train_step(tf.constant(2.0))", "equal"),
    ("TFF101", 1): ("[log_shapes(tf.constant(i, tf.int64)) for i in range(10)]",
                    "list(dataset.as_numpy_iterator())", "equal"),
    ("TFF104", 0): ("augment(tf.ones([2, 2, 3]))", "augment(tf.ones([2, 2, 3]))", "shape"),
    ("TFF104", 1): ("add_noise(tf.zeros([3]))", "add_noise(tf.zeros([3]))", "shape"),
    ("TFF104", 2): ("train_step(tf.constant(2.0))", "train_step(tf.constant(2.0))", "close-in-time"),
    ("TFF201", 0): ("train_step(tf.constant([5.0, 20.0]))", "train_step(tf.constant([5.0, 20.0]))", "equal"),
    ("TFF201", 1): ("[to_label(tf.constant(i, tf.int64)) for i in range(12)]",
                    "list(labels.take(12).as_numpy_iterator())", "equal"),
    ("TFF203", 0): ("standardize(tf.constant([1.0, 2.0, 4.0]))", "standardize(tf.constant([1.0, 2.0, 4.0]))", "equal"),
    ("TFF203", 1): ("add_features(tf.ones([3]))", "list(dataset.take(1).as_numpy_iterator())[0]", "equal"),
    ("TFF204", 0): ("rms(tf.constant([3.0, 4.0]))", "rms(tf.constant([3.0, 4.0]))", "equal"),
    ("TFF204", 1): ("gaussian(tf.constant(1.0), tf.constant(2.0))", "gaussian(tf.constant(1.0), tf.constant(2.0))", "equal"),
    ("TFF205", 0): ("safe_log(tf.constant(2.0))", "safe_log(tf.constant(2.0))", "equal"),
    ("TFF205", 1): ("Probabilities()(tf.constant([[1.0, 3.0]]))",
                    "tf.function(lambda t: Probabilities()(t))(tf.constant([[1.0, 3.0]]))", "equal"),
    ("TFF206", 0): ("flatten.python_function(tf.ones([4, 3]))", "flatten(tf.ones([4, 3]))", "equal"),
    ("TFF206", 1): ("InitialState(5)(tf.ones([4, 3]))",
                    "tf.function(lambda t: InitialState(5)(t), input_signature=[tf.TensorSpec([None, 3])])(tf.ones([4, 3]))",
                    "equal"),
    # A Keras train_step needs a compiled model with layers: the fixed code is compiled, not run.
    ("TFF206", 2): (None, None, "none"),
    ("TFF206", 3): ("Sampling()(tf.zeros([4, 2]))",
                    "tf.function(lambda t: Sampling()(t), input_signature=[tf.TensorSpec([None, 2])])(tf.zeros([4, 2]))",
                    "shape"),
    # `next(offsets)`: no fix (an iterator read at trace time has no graph twin).
    ("TFF104", 3): (None, None, "no-fix"),
    # `np.convolve`: not in the NumPy table (no exact TensorFlow twin).
    ("TFF203", 2): (None, None, "no-fix"),
    # The tf.function called with the tensor the fix passes, against the original with the Python value;
    # test_fixed_call_sites_trace_once runs the loops themselves.
    ("TFF401", 0): ("train_step(tf.ones([2]), 3)", "train_step(tf.ones([2]), tf.constant(3))", "equal"),
    ("TFF401", 1): ("fast_warmup(tf.ones([2]), 7)", "fast_warmup(tf.ones([2]), tf.constant(7))", "equal"),
    # `x * factor` with an integer: an int32 tensor times a float tensor raises TypeError, so no fix.
    ("TFF401", 2): (None, None, "no-fix"),
    ("TFF401", 3): ("update(tf.ones([2]), 3 / 5)", "update(tf.ones([2]), tf.constant(3 / 5))", "equal"),
    # The loops return nothing: test_fixed_call_sites_trace_once runs them and compares what they compute.
    ("TFF402", 0): (None, None, "none"),
    ("TFF402", 1): (None, None, "none"),
    # A tf.function made in a function called in a loop: no fix (where it should live is a design choice).
    ("TFF402", 2): (None, None, "no-fix"),
    # A Keras model rebuilt in the loop: no fix (whether each trial needs a new model, the code does not say).
    ("TFF402", 3): (None, None, "no-fix"),
}
# The originals that fail eagerly too, when the message names the bad call.
FAILING_INPUTS = {
    ("TFF205", 0): "safe_log(tf.constant(-1.0))",
}


def _bad_examples():
    for code in sorted(FIXABLE_CODES):
        bad = [e for e in examples((REPO / "rules" / f"{code}.md").read_text(encoding="utf-8")) if e.kind == "bad"]
        for index, example in enumerate(bad):
            yield pytest.param(code, index, example, id=f"{code}-{index}")


def _fixed_source(tmp_path: Path, source: str) -> str:
    (tmp_path / "example.py").write_text(source)
    settings = resolve_settings(FileConfig())
    outcome = fix_rounds(lambda overlay: run(["example.py"], settings, tmp_path, overlay=overlay), Sources(tmp_path),
                         lambda display: FixPolicy(frozenset(FIXABLE_CODES), unsafe=True))
    data = outcome.fixed.get(Path(os.path.abspath(tmp_path / "example.py")))
    return None if data is None else data.decode()


_COUNTER = iter(range(10**6))


def _namespace(source: str, eager: bool, directory: Path):
    """The module imported from a file (AutoGraph reads the source of what it converts)."""
    import importlib.util

    import tensorflow as tf

    name = f"fixed_example_{next(_COUNTER)}"
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    tf.config.run_functions_eagerly(eager)
    try:
        spec.loader.exec_module(module)
    finally:
        tf.config.run_functions_eagerly(False)
    return vars(module)


def _evaluate(namespace, expression: str, eager: bool):
    import tensorflow as tf

    tf.config.run_functions_eagerly(eager)
    try:
        return eval(expression, namespace)
    finally:
        tf.config.run_functions_eagerly(False)


def _array(value):
    import numpy as np
    import tensorflow as tf

    if isinstance(value, (list, tuple)):
        return [_array(item) for item in value]
    if isinstance(value, tf.Tensor):
        return value.numpy()
    return np.asarray(value)


@pytest.mark.parametrize("code, index, example", list(_bad_examples()))
def test_fixed_example_traces_and_matches_the_eager_original(tmp_path, code, index, example, capfd):
    import numpy as np

    assert (code, index) in CASES, "every fixable bad example needs a case here"
    eager_expression, traced_expression, compare = CASES[(code, index)]
    if compare == "no-fix":
        assert _fixed_source(tmp_path, example.code) is None
        return
    fixed = _fixed_source(tmp_path, example.code)
    compile(fixed, "example.py", "exec")
    if compare == "none":
        return
    # The original's tf.data pipeline traces its function at import and fails there (the bug):
    # its eager result is the function called on eager tensors, so the pipeline line is left out.
    original_source = re.sub(r"(?m)^\w+ = tf\.data\..*$", "", example.code)
    original = _namespace(original_source, eager=True, directory=tmp_path)
    expected = _evaluate(original, eager_expression, eager=True)
    result = _evaluate(_namespace(fixed, eager=False, directory=tmp_path), traced_expression, eager=False)
    if compare == "equal":
        got, want = _array(result), _array(expected)
        if isinstance(want, list) and not isinstance(got, list):
            got = list(got)
        np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float), rtol=1e-6)
    elif compare == "shape":
        assert np.shape(_array(result)) == np.shape(_array(expected))
    else:  # clocks: the fixed code reads the clock when the graph runs, as the original did eagerly
        scaled, started = _array(result)
        want_scaled, want_started = _array(expected)
        assert float(scaled) == float(want_scaled)
        assert abs(float(started) - float(want_started)) < 3600  # the same clock, read moments apart
    failing = FAILING_INPUTS.get((code, index))
    if failing is not None:
        import tensorflow as tf

        with pytest.raises(AssertionError):
            _evaluate(original, failing, eager=True)
        with pytest.raises(tf.errors.InvalidArgumentError, match="non-positive"):
            _evaluate(_namespace(fixed, eager=False, directory=tmp_path), failing, eager=False)


def test_tf_print_fix_prints_on_every_call_to_stdout(tmp_path, capfd):
    source = textwrap.dedent(
        """\
        import tensorflow as tf


        @tf.function
        def step(x):
            print("loss", x, sep="=", end="!\\n")
            return x * 2
        """
    )
    fixed = _fixed_source(tmp_path, source)
    namespace = _namespace(fixed, eager=False, directory=tmp_path)
    capfd.readouterr()
    for value in (1.0, 2.0, 3.0):
        namespace["step"](__import__("tensorflow").constant(value))
    out = capfd.readouterr().out
    assert out.splitlines() == ["loss=1!", "loss=2!", "loss=3!"]
    assert namespace["step"].experimental_get_tracing_count() == 1


def test_numpy_table_entries_exist_in_tensorflow():
    import tensorflow as tf

    for name, equivalent in NUMPY_EQUIVALENTS.items():
        target = tf
        for part in equivalent.tf.split("."):
            target = getattr(target, part)
        assert callable(target), name


# (rule, n-th bad example) -> (statement run on the module, the tf.function whose traces are counted or the
# Python function counted on each trace, the traces of the original, the value compared)
CALL_SITES = {
    ("TFF401", 0): ("train(tf.ones([2]), 4)", "train_step", 4, "train_step(tf.ones([2]), tf.constant(3))"),
    ("TFF401", 1): ("run([tf.ones([2])] * 4)", "fast_warmup", 4, "fast_warmup(tf.ones([2]), tf.constant(4))"),
    ("TFF401", 3): ("", "update", 5, "update(tf.ones([2]), tf.constant(3 / 5))"),  # the loop runs at import
    ("TFF402", 0): ("run([tf.ones([2]) * i for i in range(3)])", "scale", 3, ""),
    ("TFF402", 1): ("evaluate(MODEL, [tf.ones([2]) * i for i in range(3)])", "MODEL.call", 3, ""),
}


def _counted(namespace, target: str, seen: list):
    """Replace a Python function (``scale``, ``MODEL.call``) with one that records each run: a trace."""
    owner, _, name = target.rpartition(".")
    holder = namespace[owner] if owner else None
    original = getattr(holder, name) if holder is not None else namespace[name]

    def counting(*args):
        result = original(*args)
        seen.append(result)
        return result

    if holder is not None:
        setattr(holder, name, counting)
    else:
        namespace[name] = counting


class _Model:
    def call(self, x):
        return x * 2.0


@pytest.mark.parametrize("key", sorted(CALL_SITES))
def test_fixed_call_sites_trace_once(tmp_path, key):
    """The loops of the TFF401/TFF402 bad examples: the original traces on every iteration, the fixed code once;
    TFF401's tf.function, given the tensor, computes what it computed with the Python value."""
    import numpy as np

    code, index = key
    statement, target, original_traces, value = CALL_SITES[key]
    bad = [e for e in examples((REPO / "rules" / f"{code}.md").read_text(encoding="utf-8")) if e.kind == "bad"][index]
    fixed = _fixed_source(tmp_path, bad.code)
    assert fixed is not None and fixed != bad.code
    counts, values = [], []
    for source in (bad.code, fixed):
        if code == "TFF401":
            namespace = _namespace(source, eager=False, directory=tmp_path)
            if statement:
                eval(statement, namespace)
            counts.append(namespace[target].experimental_get_tracing_count())
            values.append(_array(eval(value, namespace)))
        else:
            namespace = _namespace(source, eager=False, directory=tmp_path)
            namespace["MODEL"] = _Model()
            seen: list = []
            _counted(namespace, target, seen)
            eval(statement, namespace)
            counts.append(len(seen))  # the wrapped function itself is unchanged: what it returns is too
    assert counts == [original_traces, 1], counts
    if values:
        np.testing.assert_allclose(values[1], values[0], rtol=1e-6)


def test_tensor_arguments_claims():
    """What TFF401's fix leaves alone, and why TFF301 has none (TensorFlow 2.21)."""
    import tensorflow as tf

    @tf.function
    def scaled(x, factor):
        return x * factor

    assert float(scaled(tf.ones([2]), 2)[0]) == 2.0
    with pytest.raises(TypeError):
        scaled(tf.ones([2]), tf.constant(2))  # int32 tensor * float32 tensor
    assert scaled(tf.ones([2]), tf.constant(2.5)).dtype == tf.float32
    assert tf.constant(7).dtype == tf.int32 and tf.constant(0.5).dtype == tf.float32

    @tf.function
    def appended(x, n):
        out = []
        for _ in range(n):
            out.append(x)
        return tf.stack(out)

    assert appended(tf.ones([2]), 3).shape[0] == 3
    assert appended(tf.ones([2]), tf.constant(3)).shape[0] == 1  # range(tensor): a graph loop, run once

    @tf.function
    def grown(x, n):
        s = x
        for _ in range(n):
            s = tf.concat([s, x], 0)
        return s

    assert grown(tf.ones([2]), 3).shape[0] == 8
    with pytest.raises(ValueError):
        grown(tf.ones([2]), tf.constant(3))

    @tf.function
    def maybe(x, n):
        if n > 0:
            return x * 2.0
        return None

    assert float(maybe(tf.ones([2]), 1)[0]) == 2.0
    with pytest.raises(ValueError):
        maybe(tf.ones([2]), tf.constant(1))  # `if` on a tensor: tf.cond, and one branch returns None

    with pytest.raises(TypeError):
        tf.TensorArray(size=0, dynamic_size=True)  # no dtype: TFF301's rewrite would need one

    @tf.function
    def wrong_dtype(n):
        array = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        for i in tf.range(n):
            array = array.write(i, i)
        return array.stack()

    with pytest.raises(tf.errors.InvalidArgumentError):
        wrong_dtype(3)


def test_variable_per_call_raises_on_every_call():
    """TFF105's original never runs: every call raises, so no edit can keep what it did."""
    import tensorflow as tf

    @tf.function
    def scaled(x):
        scale = tf.Variable(2.0)
        return scale * x

    for _ in range(2):
        with pytest.raises(ValueError, match="singleton tf.Variables"):
            scaled(tf.constant(1.0))


# ---------------------------------------------------------------- --dynamic proves each fix (fixes/proof.py)

# The bad examples whose fix --dynamic cannot prove, and why (everything else fixed must be proven).
NOT_PROVABLE = {
    ("TFF206", 1): "needs an example",  # a Keras layer with a required constructor argument
    ("TFF206", 2): "needs an example",  # a Model subclass without `call`: its train_step needs a compiled model
}
# The fixes of traced code; TFF401's tf.constant at the call site is proven by calling the tf.function with
# tensors (test_the_constant_fix_is_proven_by_calling_with_tensors), TFF402's hoisting by running the loop.
FUNCTION_FIXES = ("TFF101", "TFF104", "TFF201", "TFF203", "TFF204", "TFF205", "TFF206")


def _fix_with_proofs(cwd: Path, mode: str = "fix", unsafe: bool = True, examples: Path | None = None,
                     observe: bool = True):
    """``--dynamic`` with ``--fix``/``--diff``, in this process (the proofs run in a real worker).

    ``observe=False``: no retracing check first, so no input_signature proposal (TFF401 keeps its
    static ``tf.constant`` fix)."""
    from tflint_fn.dynamic.runner import Options
    from tflint_fn.fixes import command as fix_command
    from tflint_fn.fixes.proof import FixProver

    settings = resolve_settings(FileConfig())

    def lint(overlay):
        return run(["."], settings, cwd, overlay=overlay, collect_targets=True)

    prover = FixProver(cwd, Options(examples=examples), None)
    if unsafe and observe:
        prover.observe(lint({}), settings.enabled)
    output = fix_command.run_mode(mode, lint, cwd, lambda path: settings, unsafe, None, False, True, prover=prover)
    return output, prover


def test_dynamic_proves_the_fix_of_every_bad_example(tmp_path):
    modules = {}
    for code in FUNCTION_FIXES:
        bad = [e for e in examples((REPO / "rules" / f"{code}.md").read_text(encoding="utf-8")) if e.kind == "bad"]
        for index, example in enumerate(bad):
            name = f"example_{code}_{index}"
            (tmp_path / f"{name}.py").write_text(example.code)
            modules[f"{name}.py"] = (code, index)
    # An image augmentation needs an image: a generated probe (a vector) is no input for it.
    (tmp_path / "inputs.py").write_text(
        "import tensorflow as tf\n\nEXAMPLES = {'example_TFF104_0:augment': lambda: (tf.ones([2, 2, 3]),)}\n")
    output, prover = _fix_with_proofs(tmp_path, mode="diff", examples=tmp_path / "inputs.py")
    tried: dict[tuple, list] = {}
    for item in prover.tried:
        tried.setdefault(modules[item.finding.path], []).append(item)
    wrong = []
    for key, items in sorted(tried.items()):
        for item in items:
            evidence = item.proof["evidence"]
            if key in NOT_PROVABLE:
                if item.proof["status"] != "untested" or NOT_PROVABLE[key] not in evidence or item.written:
                    wrong.append((key, item.proof))
                continue
            if item.proof["status"] != "proven" or not item.written or f"{item.finding.code} no longer reported" not in evidence:
                wrong.append((key, item.proof))
            elif "outputs equal to eager" not in evidence and not (
                    # random numbers and clocks: compared by shape and dtype
                    "shapes and dtypes" in evidence and (item.finding.code == "TFF104" or key == ("TFF206", 3))):
                wrong.append((key, item.proof))
    assert not wrong
    # Every example that a fix exists for was tried, and the diff shows exactly the proven ones.
    fixed = {key for key, case in CASES.items() if case[2] != "no-fix" and key[0] in FUNCTION_FIXES}
    assert fixed <= set(tried)
    for path, key in modules.items():
        written = any(item.written for item in tried.get(key, []))
        assert (f"--- {path}\n" in output.stdout) == written, path
    # The same evidence, one line per fix, on stderr.
    assert any(": TFF101 fix proven: traced 1 time for 3 calls, outputs equal to eager" in line for line in output.stderr)
    assert any(": TFF206 fix untested, left out of the diff: needs an example" in line for line in output.stderr)


def _wrong_math_fix(monkeypatch):
    """TFF204's fix with `tf.math.square` where `tf.math.sqrt` is right: a wrong fix the proof must catch."""
    from dataclasses import replace

    from tflint_fn.fixes import edits

    right = edits.BUILDERS["TFF204"]

    def wrong(fixer, unit, node, *rest):
        plan = right(fixer, unit, node, *rest)
        if plan is not None:
            plan.edits = [replace(e, content=e.content.replace("sqrt", "square")) for e in plan.edits]
        return plan

    monkeypatch.setitem(edits.BUILDERS, "TFF204", wrong)


def test_a_wrong_fix_is_not_proven_and_not_written(tmp_path, monkeypatch):
    source = [e for e in examples((REPO / "rules" / "TFF204.md").read_text(encoding="utf-8")) if e.kind == "bad"][0].code
    (tmp_path / "metrics.py").write_text(source)
    _wrong_math_fix(monkeypatch)
    output, prover = _fix_with_proofs(tmp_path, mode="fix", unsafe=False)
    assert (tmp_path / "metrics.py").read_text() == source  # not written
    [item] = prover.tried
    assert item.proof["status"] == "not-proven" and not item.written
    assert item.proof["evidence"].startswith("outputs differ: call 1: ")
    assert output.fixed == 0
    line = next(line for line in output.stdout.splitlines() if "TFF204" in line)
    assert line.startswith("metrics.py:8:12: TFF204 fix not proven, not written: outputs differ: call 1: ")
    # The finding stays, its fix carrying the proof.
    [left] = output.result.findings
    assert left.code == "TFF204" and left.fix.proof["status"] == "not-proven"
    # Without the injected mistake, the same fix is proven and written.
    monkeypatch.undo()
    output, prover = _fix_with_proofs(tmp_path, mode="fix", unsafe=False)
    assert "tf.math.sqrt(" in (tmp_path / "metrics.py").read_text()
    assert [item.proof["status"] for item in prover.tried] == ["proven"]


def test_an_original_that_raises_eagerly_is_untested(tmp_path):
    source = [e for e in examples((REPO / "rules" / "TFF205.md").read_text(encoding="utf-8")) if e.kind == "bad"][0].code
    (tmp_path / "logs.py").write_text(source)
    (tmp_path / "examples.py").write_text(
        'import tensorflow as tf\n\nEXAMPLES = {"logs:safe_log": lambda: (tf.constant(-1.0),)}\n')
    output, prover = _fix_with_proofs(tmp_path, mode="fix", unsafe=False, examples=tmp_path / "examples.py")
    [item] = prover.tried
    assert item.proof["status"] == "untested" and not item.written
    assert "the original has no eager result to compare: it raises AssertionError" in item.proof["evidence"]
    assert "the fixed code fails under tf.function: InvalidArgumentError" in item.proof["evidence"]
    assert (tmp_path / "logs.py").read_text() == source


def _first_bad(code: str) -> str:
    return [e for e in examples((REPO / "rules" / f"{code}.md").read_text(encoding="utf-8")) if e.kind == "bad"][0].code


# (rule, how the module's own loop is driven, the tf.function it retraces)
RETRACING = [
    ("TFF401", "train(tf.ones([3]), 3)", "train_step"),
    ("TFF405", "prefix_sums(np.arange(4, dtype=np.float32))", "total"),
]


@pytest.mark.parametrize("code, drive, function", RETRACING, ids=[case[0] for case in RETRACING])
def test_the_proposed_input_signature_removes_the_retracing(tmp_path, code, drive, function):
    import numpy as np

    source = _first_bad(code)
    # Observed first: the original traces once per call of its loop.
    original = _namespace(source, eager=False, directory=tmp_path)
    eval(drive, {**original, "np": np})
    assert original[function].experimental_get_tracing_count() == 3
    project = tmp_path / "project"
    project.mkdir()
    (project / "loop.py").write_text(source)
    output, prover = _fix_with_proofs(project, mode="fix", unsafe=True)
    fixed = (project / "loop.py").read_text()
    assert "input_signature=[tf.TensorSpec(shape=[None]" in fixed
    [item] = prover.tried
    assert item.finding.code == code and item.plan.applicability == "unsafe"
    assert item.proof["status"] == "proven" and item.proof["evidence"].startswith("traced 1 time for 3 calls")
    # The fixed loop traces once.
    after = _namespace(fixed, eager=False, directory=tmp_path)
    eval(drive, {**after, "np": np})
    assert after[function].experimental_get_tracing_count() == 1
    assert not [f for f in output.result.findings if f.code == code]


def test_the_proposal_needs_unsafe_fixes(tmp_path):
    (tmp_path / "loop.py").write_text(_first_bad("TFF401"))
    output, prover = _fix_with_proofs(tmp_path, mode="diff", unsafe=False)
    assert "input_signature" not in output.stdout
    assert not [item for item in prover.tried if "input_signature" in item.plan.message]


def test_the_constant_fix_is_proven_by_calling_with_tensors(tmp_path):
    """TFF401's `tf.constant(...)` at the call site: the tf.function called with `tf.constant(value)` for the
    retracing check's values traces once and gives the eager original's outputs with the Python values."""
    bad = [e.code for e in examples((REPO / "rules" / "TFF401.md").read_text(encoding="utf-8")) if e.kind == "bad"]
    for index, source in enumerate(bad):
        (tmp_path / f"loop_{index}.py").write_text(source)
    output, prover = _fix_with_proofs(tmp_path, mode="diff", unsafe=True, observe=False)
    constant = [item for item in prover.tried if item.plan.constant]
    assert len(constant) >= 2
    for item in constant:
        assert item.proof["status"] == "proven" and item.written, item.proof
        evidence = item.proof["evidence"]
        assert evidence.startswith("traced 1 time for 3 calls, outputs equal to eager, with ")
        assert "=tf.constant(" in evidence and "TFF401 no longer reported" in evidence
        assert f"--- {item.finding.path}\n" in output.stdout
    # A float as written (`float(t) / total`) is proven with Python floats, a counter with ints.
    by_kind = {item.plan.constant: item.proof["evidence"] for item in constant}
    assert set(by_kind) == {"number", "float"}
    assert "=tf.constant(0.5), tf.constant(1.5)" in by_kind["float"]
    assert "=tf.constant(0), tf.constant(1)" in by_kind["number"]


def test_a_wrong_constant_fix_is_not_proven(tmp_path, monkeypatch):
    """`x * step` with a float `x`: the Python int became float32 there, an int32 tensor raises. The static
    fix refuses it; forced, the proof must catch it."""
    from tflint_fn.fixes import edits

    monkeypatch.setattr(edits, "_uses_take_a_tensor", lambda *args: True)
    source = textwrap.dedent(
        """\
        import tensorflow as tf


        @tf.function
        def scaled(x, step):
            return x * step


        def run(x, n):
            for step in range(n):
                scaled(x, step)
        """)
    (tmp_path / "loop.py").write_text(source)
    output, prover = _fix_with_proofs(tmp_path, mode="fix", unsafe=True, observe=False)
    [item] = prover.tried
    assert item.plan.constant == "number"
    assert item.proof["status"] == "not-proven" and not item.written
    assert "the fixed code fails under tf.function" in item.proof["evidence"], item.proof
    assert (tmp_path / "loop.py").read_text() == source


def test_a_fix_in_a_helper_module_is_proven_through_the_tf_function_that_imports_it(tmp_path):
    """The root's module is imported as written; the helper it imports, from its fixed text."""
    (tmp_path / "helpers.py").write_text(
        "import math\n\n\ndef norm(x):\n    return math.sqrt(x)\n")
    (tmp_path / "train.py").write_text(
        "import tensorflow as tf\n\nfrom helpers import norm\n\n\n@tf.function\ndef step(x):\n"
        "    return norm(x) + 1.0\n")
    _, prover = _fix_with_proofs(tmp_path, mode="fix", unsafe=False)
    [item] = prover.tried
    assert item.finding.path == "helpers.py" and item.unit[:3] == ("train.py", "train", "step")
    assert item.proof["status"] == "proven" and item.written, item.proof
    assert "outputs equal to eager" in item.proof["evidence"]
    assert "tf.math.sqrt(x)" in (tmp_path / "helpers.py").read_text()


def test_a_wrong_fix_in_a_helper_module_is_caught(tmp_path, monkeypatch):
    _wrong_math_fix(monkeypatch)
    source = "import math\n\n\ndef norm(x):\n    return math.sqrt(x)\n"
    (tmp_path / "helpers.py").write_text(source)
    (tmp_path / "train.py").write_text(
        "import tensorflow as tf\n\nfrom helpers import norm\n\n\n@tf.function\ndef step(x):\n"
        "    return norm(x) + 1.0\n")
    _, prover = _fix_with_proofs(tmp_path, mode="fix", unsafe=False)
    [item] = prover.tried
    assert item.proof["status"] == "not-proven" and not item.written
    assert item.proof["evidence"].startswith("outputs differ: ")
    assert (tmp_path / "helpers.py").read_text() == source


def test_the_hoisting_is_proven_by_running_the_loop(tmp_path):
    """TFF402: the loop's function runs on the original (tf.functions eagerly), then on the fixed text: the
    wrapped function traces once for the loop's calls, and the loop's function returns the same."""
    source = _first_bad("TFF402").replace("        tf.function(scale)(batch)  # TFF402",
                                          "        out.append(tf.function(scale)(batch))  # TFF402\n    return out")
    source = source.replace("    for batch in batches:", "    out = []\n    for batch in batches:", 1)
    (tmp_path / "loop.py").write_text(source)
    _, prover = _fix_with_proofs(tmp_path, mode="fix", unsafe=True)
    [item] = prover.tried
    assert item.finding.code == "TFF402" and item.written, item.proof
    assert item.proof["evidence"].startswith("`scale` traced 1 time for 4 calls in one call of `run`, outputs "
                                             "equal to eager, with probe batches=TensorSpec([None], float32)")
    assert "fast_scale = tf.function(scale)" in (tmp_path / "loop.py").read_text()


HOIST_CHANGES_RESULTS = """\
import tensorflow as tf


class Config:
    factor = 1.0


config = Config()


def scale(x):
    return x * config.factor


def bump():
    config.factor += 1.0


def run(batches):
    out = []
    for batch in batches:
        bump()
        out.append(tf.function(scale)(batch))
    return out
"""


def test_a_hoisting_that_bakes_in_a_python_value_is_not_proven(tmp_path):
    """`bump()` changes what `scale` reads, which the file's loop does not show: the one function keeps its
    first trace's factor (the fix's unsafe case); the proof sees other outputs and the file is not written."""
    (tmp_path / "loop.py").write_text(HOIST_CHANGES_RESULTS)
    _, prover = _fix_with_proofs(tmp_path, mode="fix", unsafe=True)
    [item] = prover.tried
    assert item.proof["status"] == "not-proven" and not item.written
    assert item.proof["evidence"].startswith("outputs differ: ")
    assert "`scale` traced 1 time for 4 calls in one call of `run`" in item.proof["evidence"]
    assert (tmp_path / "loop.py").read_text() == HOIST_CHANGES_RESULTS


TOP_LEVEL_LOOP = """\
import tensorflow as tf


def scale(x):
    return x * 2.0


for step in range(3):
    tf.function(scale)(tf.ones([2]))
"""


def test_a_loop_at_the_top_level_is_untested(tmp_path):
    """A script's own loop runs when the module is imported, not as a function a proof can call."""
    (tmp_path / "loop.py").write_text(TOP_LEVEL_LOOP)
    _, prover = _fix_with_proofs(tmp_path, mode="fix", unsafe=True)
    assert [(item.finding.code, item.proof["status"], item.written) for item in prover.tried] == [
        ("TFF402", "untested", False)]
    assert "the loop is at the top level of the module" in prover.tried[0].proof["evidence"]
    assert (tmp_path / "loop.py").read_text() == TOP_LEVEL_LOOP


def test_fix_dynamic_on_the_command_line(tmp_path):
    """The whole run: text evidence after the fix line; JSON `fixes` and `fix.proof`, valid against the schema."""
    import json

    import jsonschema

    from tests.conftest import run_cli

    source = _first_bad("TFF401").replace("    return x * tf.cast", "    print(step)\n    return x * tf.cast")
    (tmp_path / "loop.py").write_text(source)
    shown = run_cli("--fix", "--unsafe-fixes", "--dynamic", "--no-cache", ".", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[-3] == "Fixed 2 findings."
    assert lines[-2].startswith("loop.py:6:5: TFF101 fix proven: traced 1 time for 3 calls, outputs equal to eager")
    assert lines[-1].startswith("loop.py:12:23: TFF401 fix proven: traced 1 time for 3 calls, outputs equal to eager")
    fixed = (tmp_path / "loop.py").read_text()
    assert "@tf.function(input_signature=[" in fixed and "tf.print(step, output_stream=sys.stdout)" in fixed
    # JSON, on a file whose only fix cannot be proven: the finding keeps its fix, with the proof.
    (tmp_path / "loop.py").write_text(TOP_LEVEL_LOOP)
    shown = run_cli("--fix", "--unsafe-fixes", "--dynamic", "--no-cache", "--format", "json", ".", cwd=tmp_path)
    document = json.loads(shown.stdout)
    schema = json.loads((REPO / "tflint_fn" / "schema" / "findings-v1.json").read_text())
    jsonschema.validate(document, schema)
    [finding] = document["findings"]
    # The verdict of what is left, too: a script's own loop is not a function the checker can call.
    assert finding["fix"]["proof"]["status"] == "untested" and finding["dynamic"]["status"] == "skipped"
    assert [(f["code"], f["written"]) for f in document["fixes"]] == [("TFF402", False)]
    assert "TFF402 fix untested, not written: the loop is at the top level of the module" in shown.stderr


def test_the_proposal_is_proven_on_a_function_that_updates_a_variable(tmp_path):
    """Each side starts from a fresh module: the eager original's variable is not updated twice."""
    (tmp_path / "loop.py").write_text(textwrap.dedent(
        """\
        import tensorflow as tf

        weights = tf.Variable(tf.ones([4]))


        @tf.function
        def train_step(features, step):
            weights.assign_sub(0.1 / (1.0 + tf.cast(step, tf.float32)) * tf.reduce_mean(features, axis=0))
            return tf.reduce_sum(weights)


        def fit(features, epochs):
            for epoch in range(epochs):
                train_step(features, epoch)
        """
    ))
    _, prover = _fix_with_proofs(tmp_path, mode="diff", unsafe=True)
    [item] = prover.tried
    assert item.proof["status"] == "proven", item.proof
    assert "outputs equal to eager" in item.proof["evidence"]
