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


def test_tff101_tff108_print_shows_static_facts_but_a_symbolic_tensor_once_per_trace():
    @tf.function
    def step(x):
        print("Tracing with", x.shape, x.dtype)  # TFF108: real values, once per trace
        print("value", x)  # TFF101: the symbolic tensor, not its value
        return x * 2

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for value in ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0], [1.0, 2.0]):
            step(tf.constant(value))
    printed = out.getvalue().splitlines()
    # 4 calls, 2 traces (two shapes): each print ran twice.
    assert printed == [
        "Tracing with (3,) <dtype: 'float32'>",
        'value Tensor("x:0", shape=(3,), dtype=float32)',
        "Tracing with (2,) <dtype: 'float32'>",
        'value Tensor("x:0", shape=(2,), dtype=float32)',
    ]


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


def test_tff202_the_last_operand_of_an_and_in_an_if_is_truth_tested_without_autograph():
    """`if teacher is not None and p > 0.5:` with a tensor `p`: Python takes bool() of `p > 0.5`."""

    def decide(x, teacher):
        p = tf.random.uniform([])
        if teacher is not None and p > 0.5:
            return teacher
        return x

    with pytest.raises(tf.errors.OperatorNotAllowedInGraphError):
        tf.function(decide, autograph=False)(tf.ones([2]), tf.zeros([2]))
    # With the left operand False, the right one is never evaluated: no error.
    assert tf.function(decide, autograph=False)(tf.ones([2]), None).shape == [2]


def test_tensorflow_tensors_lack_the_pytorch_only_methods():
    """TFF201 leaves `x.detach().cpu().numpy()` alone: a TensorFlow tensor has none of these methods."""
    from tflint_fn.checks.native_ops import _TORCH_ONLY_METHODS

    eager = tf.constant([1.0])
    seen = []

    @tf.function
    def symbolic(x):
        seen.append([name for name in _TORCH_ONLY_METHODS if hasattr(x, name)])
        return x

    symbolic(eager)
    assert [name for name in _TORCH_ONLY_METHODS if hasattr(eager, name)] == [] and seen == [[]]


def test_code_after_a_graph_branch_that_returns_runs_only_eagerly():
    """`if tf.inside_function(): return ...` (or `if not tf.executing_eagerly()`) leaves while tracing:
    what follows runs only when the function is called eagerly."""
    reached = []

    def step(x, guard):
        if guard():
            return x * 2.0
        reached.append(True)
        return x

    for guard in (tf.inside_function, lambda: not tf.executing_eagerly()):
        reached.clear()
        traced = tf.function(lambda x, guard=guard: step(x, guard))
        assert float(traced(tf.constant(1.0))) == 2.0 and float(traced(tf.constant(2.0))) == 4.0
        assert reached == []
        assert float(step(tf.constant(1.0), guard)) == 1.0 and reached == [True]


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


# --- TFF3xx: data structures and control flow --------------------------------


def test_tff301_list_grown_in_a_graph_loop_holds_one_element_or_fails():
    @tf.function
    def collect(x, n):
        out = []
        for _ in tf.range(n):
            out.append(1)
        return len(out)

    @tf.function
    def stacked(x, n):
        out = []
        for i in tf.range(n):
            out.append(x * tf.cast(i, tf.float32))
        return tf.stack(out)

    @tf.function
    def unrolled(x):
        out = []
        for i in range(3):
            out.append(x * i)
        return tf.stack(out)

    assert int(collect(tf.constant(1.0), tf.constant(3))) == 1
    with pytest.raises(Exception, match="out of scope") as raised:
        stacked(tf.constant(1.0), tf.constant(3))
    assert type(raised.value).__name__ == "InaccessibleTensorError"
    assert unrolled(tf.constant(1.0)).numpy().tolist() == [0.0, 1.0, 2.0]


def test_tff302_one_branch_name_raises_both_branches_work():
    @tf.function
    def one_branch(x):
        if tf.reduce_sum(x) > 0:
            y = x * 2
        return y  # noqa: F821 - the point of the test

    @tf.function
    def none_before(x):
        y = None
        if tf.reduce_sum(x) > 0:
            y = x * 2
        return y

    @tf.function
    def both(x):
        if tf.reduce_sum(x) > 0:
            y = x * 2
        else:
            y = x
        return y

    with pytest.raises(ValueError, match="must also be initialized in the else branch"):
        one_branch(tf.constant(1.0))
    with pytest.raises(ValueError, match="is None at the end of the else branch"):
        none_before(tf.constant(1.0))
    assert float(both(tf.constant(1.0))) == 2.0


def test_tff303_loop_variables_must_keep_type_and_shape():
    @tf.function
    def none_read(x, n):
        v = None
        for _ in tf.range(n):
            v = v + x
        return v

    @tf.function
    def int_to_float(n):
        total = 0
        for i in tf.range(n):
            total = total + tf.cast(i, tf.float32) * 0.5
        return total

    @tf.function
    def grows(x, n):
        out = tf.zeros([0])
        for _ in tf.range(n):
            out = tf.concat([out, x], 0)
        return out

    @tf.function
    def grows_declared(x, n):
        out = tf.zeros([0])
        for _ in tf.range(n):
            tf.autograph.experimental.set_loop_options(shape_invariants=[(out, tf.TensorShape([None]))])
            out = tf.concat([out, x], 0)
        return out

    @tf.function
    def guarded(x, n):
        best = None
        for _ in tf.range(n):
            if best is None:
                best = x
            best = tf.maximum(best, x)
        return best

    three = tf.constant(3)
    with pytest.raises(ValueError, match="not allowed to be None before the loop"):
        none_read(tf.constant(1.0), three)
    with pytest.raises(TypeError):
        int_to_float(three)
    with pytest.raises(ValueError, match="after one iteration"):
        grows(tf.constant([1.0]), three)
    assert grows_declared(tf.constant([1.0]), three).shape == (3,)
    assert float(guarded(tf.constant(2.0), three)) == 2.0


def test_tff304_generator_tf_function_raises_type_error():
    @tf.function
    def windows(x):
        for k in range(2):
            yield x[k]

    with pytest.raises(TypeError, match="generator"):
        windows(tf.constant([1.0, 2.0]))


def test_tff305_op_errors_escape_the_handler_in_graph():
    handled = []

    @tf.function
    def safe_inverse(m):
        try:
            result = tf.linalg.inv(m)
        except tf.errors.InvalidArgumentError:
            handled.append(True)
            result = tf.zeros_like(m)
        return result

    with pytest.raises(tf.errors.InvalidArgumentError):
        safe_inverse(tf.zeros([2, 2]))
    assert handled == []


# --- TFF4xx: signatures and retracing ------------------------------------------


def test_tff401_python_ints_retrace_tensors_and_signatures_do_not():
    def fresh(**options):
        @tf.function(**options)
        def step(x, i):
            return x * tf.cast(i, tf.float32)

        return step

    python, relaxed, tensor = fresh(), fresh(reduce_retracing=True), fresh()
    signed = fresh(input_signature=[tf.TensorSpec([], tf.float32), tf.TensorSpec([], tf.int32)])
    x = tf.constant(1.0)
    for i in range(4):
        python(x, i)
        relaxed(x, i)
        tensor(x, tf.constant(i))
        signed(x, i)
    assert python.experimental_get_tracing_count() == 4
    assert relaxed.experimental_get_tracing_count() == 4
    assert tensor.experimental_get_tracing_count() == 1
    assert signed.experimental_get_tracing_count() == 1


def test_tff402_a_new_tf_function_per_iteration_traces_every_time():
    def scale(x):
        return x * 2.0

    traces = 0
    for _ in range(3):
        fast = tf.function(scale)
        fast(tf.constant(1.0))
        traces += fast.experimental_get_tracing_count()
    reused = tf.function(scale)
    for _ in range(3):
        reused(tf.constant(1.0))
    assert traces == 3 and reused.experimental_get_tracing_count() == 1


def test_tff403_signature_length_is_checked_when_applied():
    spec = tf.TensorSpec([], tf.float32)

    def one(x):
        return x

    def two(x, y):
        return x + y

    def with_default(x, y=2.0):
        return x + y

    with pytest.raises(TypeError, match="extra type constraints"):
        tf.function(one, input_signature=[spec, spec])
    with pytest.raises(TypeError, match="missing type constraint"):
        tf.function(two, input_signature=[spec])
    assert float(tf.function(with_default, input_signature=[spec])(tf.constant(1.0))) == 3.0


def test_tff404_modified_default_raises_read_only_default_traces_once():
    @tf.function
    def record(x, history=[]):  # noqa: B006 - the point of the test
        history.append(1)
        return x

    @tf.function
    def weighted(x, weights=[0.5, 0.5]):  # noqa: B006
        return x * weights[0]

    with pytest.raises(ValueError, match="should not modify its Python input arguments"):
        record(tf.constant(1.0))
    for _ in range(4):
        weighted(tf.constant(1.0))
    assert weighted.experimental_get_tracing_count() == 1


def test_tff405_each_new_shape_retraces_unless_relaxed():
    def fresh(**options):
        @tf.function(**options)
        def total(x):
            return tf.reduce_sum(x)

        return total

    plain, relaxed, windows = fresh(), fresh(reduce_retracing=True), fresh()
    data = np.zeros(12, np.float32)
    for n in range(1, 5):
        plain(np.zeros(n, np.float32))
        relaxed(np.zeros(n, np.float32))
    for start in range(0, 12, 4):
        windows(data[start : start + 4])
    assert plain.experimental_get_tracing_count() == 4
    assert relaxed.experimental_get_tracing_count() == 2
    assert windows.experimental_get_tracing_count() == 1


def test_py_function_bodies_run_eagerly_in_every_spelling():
    import functools

    ran = []

    def in_eager(func):
        def wrapper(*args):
            return tf.py_function(func, list(args), tf.float32)

        return wrapper

    @tf.py_function(Tout=tf.float32)
    def eager_double(x):
        ran.append(("decorator", float(x.numpy())))
        return x * 2

    @tf.numpy_function(Tout=tf.float32)
    def np_double(x):
        ran.append(("numpy_function", float(x)))
        return (x * 2).astype(np.float32)

    def scale(x, factor):
        ran.append(("partial", float(x.numpy())))
        return x * factor

    @in_eager
    def shifted(x):
        ran.append(("wrapper", float(x.numpy())))
        return x + 1

    @tf.function
    def step(x):
        c = tf.py_function(functools.partial(scale, factor=3.0), [x], tf.float32)
        return eager_double(x) + np_double(x) + c + shifted(x)

    results = [float(step(tf.constant(v))) for v in (1.0, 2.0, 3.0)]
    assert results == [2 + 2 + 3 + 2, 4 + 4 + 6 + 3, 6 + 6 + 9 + 4]
    # every body ran on every call, with the real value: eagerly
    for kind in ("decorator", "numpy_function", "partial", "wrapper"):
        assert [v for k, v in ran if k == kind] == [1.0, 2.0, 3.0]


def test_autograph_features_convert_assert_and_print_in_called_helpers_too():
    feature = tf.autograph.experimental.Feature
    printed = io.StringIO()

    def helper(x):
        print("helper", x)
        assert x > 0, "positive"
        return x

    @tf.function(experimental_autograph_options=feature.ALL)
    def with_all(x):
        return helper(x)

    @tf.function(experimental_autograph_options=feature.ASSERT_STATEMENTS)
    def with_asserts(x):
        assert x > 0, "positive"
        return x

    @tf.function
    def plain(x):
        assert x > 0, "positive"
        return x

    with contextlib.redirect_stdout(printed):
        for value in (1.0, 2.0, 3.0):
            with_all(tf.constant(value))
    assert printed.getvalue() == "helper 1.0\nhelper 2.0\nhelper 3.0\n"  # a value, on every call
    with pytest.raises(tf.errors.InvalidArgumentError):
        with_all(tf.constant(-1.0))  # the assert became a tf.Assert
    assert float(with_asserts(tf.constant(1.0))) == 1.0
    with pytest.raises(tf.errors.InvalidArgumentError):
        with_asserts(tf.constant(-1.0))
    with pytest.raises(NotAllowed):
        plain(tf.constant(1.0))


def test_autograph_lists_feature_does_not_make_a_grown_list_work():
    @tf.function(experimental_autograph_options=tf.autograph.experimental.Feature.LISTS)
    def grow(n):
        out = []
        for i in tf.range(n):
            out.append(i)
        return tf.stack(out)

    with pytest.raises(ValueError):
        grow(tf.constant(3))


def test_tff106_what_freezes_a_global_and_what_does_not(tmp_path):
    """The top-level orders TFF106 tells apart, run as a script runs them."""
    script = tmp_path / "script_order.py"
    script.write_text(
        "import tensorflow as tf\n"
        "seen = []\n"
        "scale = 2\n"
        "raw = tf.data.Dataset.from_tensor_slices([1, 2])\n"
        "doubled = raw.map(lambda s: s * scale)\n"  # traced here, at map()
        "seen.append(list(doubled.as_numpy_iterator()))\n"
        "scale = 3\n"
        "seen.append(list(doubled.as_numpy_iterator()))\n"  # iterated after the rebinding
        "seen.append(list(raw.map(lambda s: s * scale).as_numpy_iterator()))\n"  # a new map
        "factor = 1.0\n"
        "class Scaled(tf.keras.Model):\n"
        "    def call(self, x):\n"
        "        return x * factor\n"
        "eager_first = Scaled()\n"
        "seen.append(float(eager_first(tf.constant([1.0]))[0]))\n"  # a direct call runs eagerly
        "factor = 2.0\n"
        "seen.append(float(eager_first.predict(tf.constant([1.0]), verbose=0)[0]))\n"
        "predicted_first = Scaled()\n"
        "seen.append(float(predicted_first.predict(tf.constant([1.0]), verbose=0)[0]))\n"
        "factor = 3.0\n"
        "seen.append(float(predicted_first.predict(tf.constant([1.0]), verbose=0)[0]))\n"
    )
    namespace = {"__name__": "script_order"}
    exec(compile(script.read_text(), str(script), "exec"), namespace)
    assert namespace["seen"] == [
        [2, 4],  # traced at map() with scale = 2
        [2, 4],  # frozen: the dataset iterated after the rebinding still multiplies by 2
        [3, 6],  # a map made after the rebinding sees 3
        1.0,  # model(x) runs eagerly and traces nothing ...
        2.0,  # ... so the first predict (the first trace) sees the new value
        2.0,
        2.0,  # predict, rebinding, predict: frozen by the first predict's trace
    ]


def test_named_outputs_on_a_layer_are_read_back_within_the_trace():
    keras = tf.keras

    class Head(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2, kernel_initializer="ones")
            self.endpoints = {}

        def call(self, inputs):
            outputs = self.dense(inputs)
            self.endpoints["head"] = outputs  # overwritten by each trace
            return outputs

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.head = Head()

        def call(self, inputs):
            outputs = self.head(inputs)
            return outputs + self.head.endpoints["head"]  # read back in the same trace

    net = Net()
    first = net.predict(np.ones((1, 3), np.float32), verbose=0)
    second = net.predict(np.full((1, 3), 2.0, np.float32), verbose=0)
    assert first.tolist() == [[6.0, 6.0]] and second.tolist() == [[12.0, 12.0]]


def test_tff106_a_functional_model_called_directly_sees_a_rebound_global():
    """The user corpus's model_mapping.ipynb case: a layer whose `call` reads the notebook's
    global `x`, built into a functional model, then called directly after `x` is rebound.
    Keras 3 runs each layer's `call` again on a direct call, so nothing was frozen:
    TFF106 (frozen global) would be a false claim there."""
    keras = tf.keras
    namespace = {"tf": tf, "keras": keras}
    exec(
        "x = tf.ones([2, 3])\n"
        "class ReadsGlobal(keras.layers.Layer):\n"
        "    def call(self, inputs):\n"
        "        return x * 1.0\n"  # ignores `inputs`: the notebook's typo
        "inputs = keras.Input(shape=(3,))\n"
        "model = keras.Model(inputs=inputs, outputs=ReadsGlobal()(inputs))\n"
        "x = tf.fill([2, 3], 5.0)\n"
        "result = model(x, training=False)\n",
        namespace,
    )
    assert namespace["result"].numpy().tolist() == [[5.0] * 3] * 2
