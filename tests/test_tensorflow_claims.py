"""What the rule docs say TensorFlow does, checked against real TensorFlow.

Each rule is written from observed behaviour, not belief. These tests keep
the observations true as TensorFlow changes. They need the ``dynamic`` extra
(``pip install -e ".[dev,dynamic]"``) and are skipped without it.
"""

import contextlib
import io
import math

import pytest

tf = pytest.importorskip("tensorflow")
np = pytest.importorskip("numpy")
pytestmark = pytest.mark.tensorflow

NotAllowed = tf.errors.OperatorNotAllowedInGraphError


def calls(function, *values):
    """Call ``function`` once per value (float tensors of one shape); return stdout."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for value in values:
            function(tf.constant(value))
    return out.getvalue()


def test_tff101_print_runs_once_for_three_calls():
    @tf.function
    def step(x):
        print("TRACED", x)
        return x

    assert calls(step, 1.0, 2.0, 3.0).count("TRACED") == 1


def test_tff102_outer_list_grows_once_with_a_symbolic_tensor():
    history = []

    @tf.function
    def step(x):
        history.append(x)
        return x

    calls(step, 1.0, 2.0, 3.0)
    assert len(history) == 1 and not hasattr(history[0], "numpy")


def test_tff103_attribute_update_runs_once():
    class Counter(tf.Module):
        def __init__(self):
            self.count = 0

        @tf.function
        def __call__(self, x):
            self.count += 1
            return x

    counter = Counter()
    calls(counter, 1.0, 2.0, 3.0)
    assert counter.count == 1


def test_tff104_python_random_is_frozen_at_trace_time():
    import random

    @tf.function
    def noisy(x):
        return x * 0 + random.random()

    assert len({float(noisy(tf.constant(v))) for v in (1.0, 2.0, 3.0)}) == 1


def test_tff105_variable_per_call_raises_and_guard_works():
    @tf.function
    def make(x):
        v = tf.Variable(1.0)
        return v + x

    with pytest.raises(ValueError, match="singleton tf.Variables"):
        make(tf.constant(1.0))

    class Lazy(tf.Module):
        def __init__(self):
            self.v = None

        @tf.function
        def __call__(self, x):
            if self.v is None:
                self.v = tf.Variable(1.0)
            return self.v + x

    assert float(Lazy()(tf.constant(1.0))) == 2.0


def test_tff106_global_is_frozen_at_first_trace():
    namespace = {"tf": tf}
    exec("LR = 0.1\n@tf.function\ndef f(x):\n    return x * LR\n", namespace)
    first = float(namespace["f"](tf.constant(1.0)))
    namespace["LR"] = 0.5
    assert float(namespace["f"](tf.constant(1.0))) == first


def test_tff107_recursion_on_a_tensor_never_ends_but_python_ints_work():
    @tf.function
    def countdown(n):
        return countdown(n - 1) if n > 0 else n

    with pytest.raises(Exception, match="recursion"):
        countdown(tf.constant(2))
    assert countdown(2) == 0


def test_tff201_numpy_method_fails_in_graph():
    @tf.function
    def f(x):
        return x.numpy()

    with pytest.raises(AttributeError, match="numpy"):
        f(tf.constant(1.0))


def test_tff202_bool_fails_but_autograph_converts_float_int_len():
    @tf.function
    def truthy(x):
        return bool(x > 0)

    with pytest.raises(NotAllowed):
        truthy(tf.constant(1.0))

    @tf.function
    def converted(x):
        return float(x[0]) + float(len(x)) + float(int(x[0]))

    assert float(converted(tf.constant([2.0, 3.0]))) == 6.0

    @tf.function(autograph=False)
    def unconverted(x):
        return float(x)

    with pytest.raises(TypeError):
        unconverted(tf.constant(1.0))


def test_tff203_numpy_on_symbolic_tensor_raises():
    @tf.function
    def f(x):
        return np.mean(x)

    with pytest.raises(NotImplementedError, match="symbolic tf.Tensor"):
        f(tf.constant([1.0, 2.0]))

    @tf.function
    def constants_are_fine(x):
        return x * np.float32(2.0) * np.pi

    constants_are_fine(tf.constant(1.0))


def test_tff204_math_on_symbolic_tensor_raises():
    @tf.function
    def f(x):
        return math.sqrt(x)

    with pytest.raises(TypeError, match="real number"):
        f(tf.constant(4.0))


def test_tff205_assert_on_tensor_fails_while_tracing():
    @tf.function
    def f(x):
        assert x > 0, "positive"
        return x

    with pytest.raises(NotAllowed):
        f(tf.constant(1.0))


def test_tff206_unknown_static_dimension_raises_known_one_works():
    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def unknown(x):
        return tf.zeros([x.shape[0], 2])

    with pytest.raises((TypeError, ValueError)):
        unknown(tf.zeros([2, 3]))

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def known(x):
        return tf.zeros([tf.shape(x)[0], x.shape[1]])

    assert known(tf.zeros([2, 3])).shape == (2, 3)


def test_tff207_comprehension_over_tensor_raises_but_for_statement_works():
    @tf.function(input_signature=[tf.TensorSpec([3], tf.float32)])
    def comprehension(x):
        return tf.stack([r * 2 for r in x])

    with pytest.raises(NotAllowed, match="Iterating"):
        comprehension(tf.zeros([3]))

    @tf.function(input_signature=[tf.TensorSpec([3], tf.float32)])
    def loop(x):
        total = 0.0
        for r in x:
            total += r
        return total, tf.sort(x)

    loop(tf.zeros([3]))


def test_do_not_convert_helpers_still_run_in_the_graph():
    @tf.autograph.experimental.do_not_convert
    def helper(x):
        print("helper")
        return x

    @tf.function
    def f(x):
        return helper(x)

    assert calls(f, 1.0, 2.0, 3.0).count("helper") == 1


def test_py_function_bodies_run_eagerly_every_call():
    def eager(x):
        print("eager", x.numpy())
        return x

    @tf.function
    def f(x):
        return tf.py_function(eager, [x], tf.float32)

    assert calls(f, 1.0, 2.0, 3.0).count("eager") == 3
