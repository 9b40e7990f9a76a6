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
