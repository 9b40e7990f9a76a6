"""What TensorFlow 2.21 does in the patterns the recall widenings of issue 13 report.

Each widening of a rule (tflint_fn/checks/) is written from these observations, and
each rule page (rules/TFFnnn.md) states them; the look-alikes that must stay quiet are
checked here too. They need TensorFlow and are skipped without it.
"""

import pytest

tf = pytest.importorskip("tensorflow")
pytestmark = pytest.mark.tensorflow


def test_tff401_straight_line_calls_with_new_literals_trace_each_time():
    @tf.function
    def scale(x, factor):
        return x * factor

    x = tf.ones([2])
    scale(x, 1)
    scale(x, 2)
    scale(x, 3)
    assert scale.experimental_get_tracing_count() == 3
    scale(x, 1)
    scale(x, 2)
    assert scale.experimental_get_tracing_count() == 3  # a value seen before reuses its trace

    @tf.function
    def flags(x, train_gen, train_disc):
        return x + (1.0 if train_gen else 0.0) + (2.0 if train_disc else 0.0)

    flags(x, True, False)
    flags(x, False, True)
    flags(x, True, True)
    assert flags.experimental_get_tracing_count() == 3  # each combination of flags is a trace

    @tf.function
    def mode(x, training):
        return x * 2.0 if training else x

    mode(x, True)
    mode(x, False)
    assert mode.experimental_get_tracing_count() == 2  # the usual train/eval pair: two traces


def test_tff401_tff405_a_loop_over_literal_numbers_retraces_per_value():
    @tf.function
    def events(momenta):
        return tf.reduce_sum(momenta)

    for n in (100, 200, 300):
        events(tf.ones([n, 4]))
    assert events.experimental_get_tracing_count() == 3

    @tf.function
    def weighted(x, weight):
        return x * weight

    total = 4
    for t in range(total):
        weighted(tf.ones([2]), float(t) / total)  # a Python float per step, over a constant
    assert weighted.experimental_get_tracing_count() == 4


def test_tff103_attribute_of_an_argument_object_is_updated_once():
    class Tracker:
        value = 0

    tracker = Tracker()

    @tf.function
    def work(x, state):
        state.value += 1
        return x * 2.0

    for i in range(5):
        work(tf.constant(float(i)), tracker)
    assert tracker.value == 1


def test_tff102_a_module_list_grows_once_per_trace_even_with_python_numbers():
    squares, ranks = [], []

    @tf.function
    def record(x, v):
        squares.append(v ** 2)
        ranks.append(len(x.shape))
        return x + 1.0

    for _ in range(3):
        record(tf.constant([1.0]), 3)
    assert squares == [9] and ranks == [1]


_COUNT = 0


def test_tff102_global_rebound_from_itself_is_updated_once():
    @tf.function
    def f(x):
        global _COUNT
        _COUNT = _COUNT + 1
        return x

    for _ in range(3):
        f(tf.constant(1.0))
    assert _COUNT == 1


def test_tff104_next_on_a_python_iterator_is_frozen_but_a_dataset_iterator_advances():
    offsets = iter([10.0, 20.0, 30.0])

    @tf.function
    def shifted(x):
        return x + next(offsets)

    assert [float(shifted(tf.constant(0.0))) for _ in range(3)] == [10.0, 10.0, 10.0]

    elements = iter(tf.data.Dataset.from_tensor_slices([1.0, 2.0, 3.0]))

    @tf.function
    def take(x):
        return x + next(elements)

    assert [float(take(tf.constant(0.0))) for _ in range(3)] == [1.0, 2.0, 3.0]


def test_tff103_a_counter_is_not_a_create_once_guard():
    class Step(tf.Module):
        def __init__(self):
            self.counter = 0
            self.v = None

        @tf.function
        def __call__(self, x):
            if self.counter == 0:
                self.counter += 1
            if self.v is None:
                self.v = tf.Variable(1.0)
            return x * self.v

    step = Step()
    for _ in range(3):
        step(tf.constant(2.0))
    assert step.counter == 1  # the counter ran once, at trace time
    assert float(step(tf.constant(2.0))) == 2.0  # the guarded variable was made once and works


def test_tff105_a_keras_layer_with_weights_made_in_a_tf_function_raises_one_without_works():
    @tf.function
    def project(x):
        return tf.keras.layers.Dense(1)(x)

    with pytest.raises(ValueError, match="singleton tf.Variables"):
        project(tf.ones([2, 3]))

    @tf.function
    def flatten(x):
        return tf.keras.layers.Flatten()(x)

    assert flatten(tf.ones([2, 3, 4])).shape == (2, 12)


def test_tff206_a_partially_known_shape_cannot_be_a_shape_argument_a_known_slice_can():
    spec = [tf.TensorSpec([None, 2])]
    for make in (lambda x: tf.random.normal(x.shape), lambda x: tf.zeros(x.shape),
                 lambda x: tf.reshape(x, x.get_shape()), lambda x: tf.fill(x.shape, 1.0)):
        with pytest.raises(ValueError, match="partially known TensorShape"):
            tf.function(make, input_signature=spec)(tf.ones([3, 2]))
    assert tf.function(lambda x: tf.zeros(x.shape[1:]), input_signature=spec)(tf.ones([3, 2])).shape == (2,)
    assert tf.function(lambda x: tf.zeros(x.shape))(tf.ones([3, 2])).shape == (3, 2)  # fully known


def test_keras_fit_traces_compiled_losses_and_metrics_without_autograph():
    """Keras 3 (tf.keras in TF 2.21): a loss given to compile is traced without AutoGraph, its batch dimension None."""
    import numpy as np

    shapes = []

    def python_if_loss(y_true, y_pred):
        if tf.reduce_sum(y_true) > 0:  # a Python `if` on a tensor: AutoGraph would convert it
            return tf.reduce_mean(tf.square(y_true - y_pred))
        return tf.reduce_mean(y_pred)

    def metric(y_true, y_pred):
        shapes.append(y_true.shape)
        return tf.reduce_mean(y_pred)

    x, y = np.ones((8, 4), "float32"), np.ones((8, 3), "float32")
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3)])
    model.compile(optimizer="sgd", loss=python_if_loss)
    with pytest.raises(tf.errors.OperatorNotAllowedInGraphError):
        model.fit(x, y, epochs=1, verbose=0, batch_size=3)
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3)])
    model.compile(optimizer="sgd", loss="mse", metrics=[metric])
    model.fit(x, y, epochs=2, verbose=0, batch_size=3)
    assert shapes and all(shape[0] is None for shape in shapes)
    assert len(shapes) < 2 * 3  # traced, not run per batch


def test_recursion_traced_with_the_tensor_the_caller_passes_never_ends():
    @tf.function
    def halve_sum(x):
        n = tf.size(x)
        if n <= 1:
            return tf.reduce_sum(x)
        return halve_sum(x[: n // 2]) + halve_sum(x[n // 2 :])

    with pytest.raises(Exception, match="recursion"):
        halve_sum(tf.range(8.0))


def test_raise_under_a_tensor_if_raises_for_every_input():
    """TFF306: AutoGraph traces both branches of `if <tensor>:`, so a `raise` in either runs while tracing."""

    @tf.function
    def third(x):
        if tf.shape(x)[0] < 3:
            raise ValueError("too short")
        return x[2]

    @tf.function
    def positive(x):
        if tf.reduce_all(x > 0):
            y = x
        else:
            raise ValueError("not positive")
        return y

    @tf.function
    def checked(x, strict=False):
        if strict:
            raise ValueError("strict")
        return x

    with pytest.raises(ValueError, match="too short"):
        third(tf.ones([3, 3]))  # a valid input
    with pytest.raises(ValueError, match="not positive"):
        positive(tf.ones([2]))  # all positive
    assert checked(tf.ones([2])).numpy().tolist() == [1.0, 1.0]  # a Python test picks one branch


def test_range_of_len_of_an_unknown_dimension_is_a_graph_loop():
    """TFF301: `for i in range(len(ys))` with ys of unknown length is a tf.while_loop under AutoGraph."""
    lengths = []

    @tf.function(input_signature=[tf.TensorSpec([None, 2])])
    def rows(ys):
        kept = []
        for i in range(len(ys)):
            kept.append(ys[i] * 2.0)
        lengths.append(len(kept))
        return tf.stack(kept)

    with pytest.raises(Exception):  # the list holds the loop body's tensor: stacking it fails
        rows(tf.ones([3, 2]))
    assert lengths in ([], [1])  # grown once, while tracing, if at all

    @tf.function(input_signature=[tf.TensorSpec([3, 2])])
    def known(ys):
        kept = []
        for i in range(len(ys)):
            kept.append(ys[i] * 2.0)
        return tf.stack(kept)

    assert known(tf.ones([3, 2])).shape == (3, 2)  # a static length: a Python loop, unrolled


def test_tff307_a_name_rebound_to_an_assign_result_under_a_tensor_if_is_a_tensor_after_it():
    """TFF307: `tf.cond`'s outputs are tensors, so a variable's name rebound to what `assign`
    returns in a branch holds a tensor afterwards; the same rebinding outside a tensor `if`,
    or an `assign` called as a statement, keeps the variable."""
    import numpy as np

    @tf.function
    def toggle(a):
        for _ in range(3):
            if a[0] > 3:
                a = a[0].assign(1)
            else:
                a = a[0].assign(2)
        return a

    @tf.function
    def then_add(a):
        if a[0] > 3:
            a = a[0].assign(1)
        else:
            a = a[0].assign(2)
        a.assign_add([1, 1, 1])
        return a

    with pytest.raises(AttributeError, match="has no attribute 'assign'"):
        toggle(tf.Variable(np.array([1, 2, 3])))
    with pytest.raises(AttributeError, match="has no attribute 'assign_add'"):
        then_add(tf.Variable(np.array([1, 2, 3])))

    @tf.function
    def result_only(a):  # the rebound name is only read afterwards
        if a[0] > 3:
            b = a[0].assign(1)
        else:
            b = a[0].assign(2)
        return b

    @tf.function
    def python_loop(a):  # no tensor `if`: the name keeps a variable
        for _ in range(3):
            a = a.assign_add([1, 1, 1])
        return a

    @tf.function
    def as_statements(a):
        for _ in range(3):
            if a[0] > 3:
                a[0].assign(1)
            else:
                a[0].assign(2)
        return a.read_value()

    assert result_only(tf.Variable(np.array([1, 2, 3]))).numpy().tolist() == [2, 2, 3]
    assert python_loop(tf.Variable(np.array([1, 2, 3]))).numpy().tolist() == [4, 5, 6]
    assert as_statements(tf.Variable(np.array([1, 2, 3]))).numpy().tolist() == [2, 2, 3]


def test_tff405_a_loop_over_a_list_of_arrays_traces_once_per_shape():
    """TFF405: the elements of a Python list of arrays passed one by one retrace for each
    new shape; arrays of one shape, or `reduce_retracing=True`, trace once or twice."""
    import numpy as np

    @tf.function
    def encode(tokens):
        return tf.reduce_sum(tokens)

    for seq in [np.arange(n) for n in (3, 5, 7, 9)]:
        encode(tf.constant(seq))
    assert encode.experimental_get_tracing_count() == 4

    @tf.function
    def same(tokens):
        return tf.reduce_sum(tokens)

    for seq in [np.zeros(3) for _ in range(5)]:
        same(tf.constant(seq))
    assert same.experimental_get_tracing_count() == 1

    @tf.function(reduce_retracing=True)
    def relaxed(tokens):
        return tf.reduce_sum(tokens)

    for seq in [np.arange(n) for n in (3, 5, 7, 9)]:
        relaxed(tf.constant(seq))
    assert relaxed.experimental_get_tracing_count() <= 2  # the second shape relaxes to [None]


def test_tff402_a_keras_model_rebuilt_per_iteration_makes_a_predict_function_per_model():
    """TFF402: `predict` makes and traces one tf.function per model object; a model built once
    keeps one (traced once for repeated calls), and an eager `model(x)` makes none."""
    import keras
    import numpy as np

    def build():
        return keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])

    x = np.ones((4, 3), "float32")
    functions = set()
    for _ in range(3):
        model = build()
        model.predict(x, verbose=0)
        functions.add(id(model.predict_function))
    assert len(functions) == 3

    once = build()
    for _ in range(3):
        once.predict(x, verbose=0)
    assert once.predict_function.experimental_get_tracing_count() == 1

    called = build()
    called(x, training=False)
    assert getattr(called, "predict_function", None) is None


def test_tff203_numpy_of_a_list_holding_symbolic_tensors_fails_while_tracing():
    """TFF203: NumPy converts a Python list element by element, so a list that tensors were
    stored into (item assignment, `append`, a display) fails like a tensor; a list of Python
    numbers, or of static dimensions, is fine."""
    import numpy as np

    @tf.function(input_signature=[tf.TensorSpec([6], tf.float32)])
    def by_item(features):
        window = [0.0] * 6
        for i in range(6):
            window[i] = features[i]
        return np.array(window)

    @tf.function(input_signature=[tf.TensorSpec([6], tf.float32)])
    def by_display(features):
        parts = [features[:2], features[2:]]
        return np.concatenate(parts)

    with pytest.raises(NotImplementedError, match="Cannot convert a symbolic"):
        by_item(tf.range(6.0))
    with pytest.raises(NotImplementedError, match="Cannot convert a symbolic"):
        by_display(tf.range(6.0))

    @tf.function(input_signature=[tf.TensorSpec([None, 6], tf.float32)])
    def shaped(features):
        weights = [0.5 * i for i in range(3)]
        dims = [features.shape[1], 2]
        return features * np.array(weights).sum() + np.prod(dims)

    assert shaped(tf.zeros([1, 6])).numpy().tolist() == [[12.0] * 6]


def test_keras_build_and_direct_calls_run_eagerly():
    """A subclassed Keras model's `build(shape)` does not run `call`, and `call` or
    `train_step` called directly see eager tensors: a program that never hands its
    model to `fit`/`evaluate`/`predict` (or a tf.function) runs them eagerly."""
    import keras

    seen = []

    class Probe(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            seen.append(("call", tf.executing_eagerly(), x.numpy().shape))
            return self.dense(x)

        def train_step(self, data):
            seen.append(("train_step", tf.executing_eagerly()))
            return {}

    model = Probe()
    model.build((4, 3))
    assert seen == []
    model(tf.zeros([4, 3]))
    model.train_step((tf.zeros([4, 3]), tf.zeros([4, 2])))
    assert seen == [("call", True, (4, 3)), ("train_step", True)]

    model.compile(loss="mse")
    with pytest.raises(AttributeError, match="numpy"):
        model.predict(tf.zeros([4, 3]), verbose=0)  # traced: `.numpy()` of a symbolic tensor


def test_keras_losses_metrics_lambdas_and_vectorized_map_trace_what_they_are_given():
    """Issue 13's entry points: `fit` traces a `Loss` subclass's `call`, a metric's
    `update_state` and `result` and a `Lambda` layer's function (symbolic tensors, not
    eager); `tf.vectorized_map` traces its function even eagerly, without AutoGraph."""
    import keras
    import numpy as np

    seen = []

    class MyLoss(keras.losses.Loss):
        def call(self, y_true, y_pred):
            seen.append(("loss", tf.executing_eagerly()))
            return tf.reduce_mean(tf.square(y_true - y_pred))

    class MyMetric(keras.metrics.Metric):
        def __init__(self):
            super().__init__(name="m")
            self.total = self.add_weight(name="t", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            seen.append(("update_state", tf.executing_eagerly()))
            self.total.assign_add(tf.reduce_sum(y_pred))

        def result(self):
            seen.append(("result", tf.executing_eagerly()))
            return self.total

    def doubled(x):
        seen.append(("lambda", tf.executing_eagerly()))
        return x * 2.0

    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Lambda(doubled)(inputs)))
    model.compile(loss=MyLoss(), metrics=[MyMetric()])
    seen.clear()
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"), verbose=0)
    for name in ("loss", "update_state", "result", "lambda"):
        assert (name, False) in seen, (name, seen)

    def per_row(row):
        seen.append(("vectorized_map", tf.executing_eagerly()))
        if tf.reduce_sum(row) > 0:  # no AutoGraph: a Python bool of a symbolic tensor
            return row * 2.0
        return row

    seen.clear()
    with pytest.raises(Exception, match="symbolic"):
        tf.vectorized_map(per_row, tf.ones([3, 2]))
    assert seen and seen[0] == ("vectorized_map", False)


def test_tff401_tff405_new_objects_and_padded_batches_retrace():
    """A new Python object per call is a new trace (tf.function keys it by identity, a
    frozen dataclass too); one object reused traces once. `padded_batch` without
    `padded_shapes` pads each batch to its longest element: a trace per new length;
    with fixed `padded_shapes`, one trace."""
    import dataclasses

    class Scale:
        def __init__(self, k):
            self.k = k

    @dataclasses.dataclass(frozen=True)
    class Frozen:
        k: float

    for cls in (Scale, Frozen):
        @tf.function
        def apply(scale, x):
            return x * scale.k

        for _ in range(3):
            apply(cls(2.0), tf.ones([2]))
        assert apply.experimental_get_tracing_count() == 3, cls

    @tf.function
    def reused(scale, x):
        return x * scale.k

    one = Scale(2.0)
    for _ in range(3):
        reused(one, tf.ones([2]))
    assert reused.experimental_get_tracing_count() == 1

    @tf.function
    def consume(batch):
        return tf.reduce_sum(batch)

    for batch in tf.data.Dataset.range(1, 9).map(lambda i: tf.range(i)).padded_batch(2):
        consume(batch)
    assert consume.experimental_get_tracing_count() == 4  # lengths 2, 4, 6, 8

    @tf.function
    def fixed(batch):
        return tf.reduce_sum(batch)

    for batch in tf.data.Dataset.range(1, 9).map(lambda i: tf.range(i)).padded_batch(2, padded_shapes=[8]):
        fixed(batch)
    assert fixed.experimental_get_tracing_count() == 1


def test_effects_through_constructors_and_module_instances_run_once_per_trace():
    """Issue 13 part 3: a project constructor or a module-level instance's method called from
    traced code runs while tracing only: its append to a global happens once for three calls.
    A list argument the function modifies raises ValueError."""
    history = []

    class Recorder:
        def __init__(self, value):
            history.append(1)

    class Tracker:
        def record(self, value):
            history.append(2)

    tracker = Tracker()

    @tf.function
    def step(x):
        Recorder(x)
        tracker.record(x)
        return x * 2.0

    for _ in range(3):
        step(tf.ones([2]))
    assert history == [1, 2]

    @tf.function
    def grow(x, items):
        items.append(x)
        return x

    with pytest.raises(ValueError, match="should not modify its Python input arguments"):
        grow(tf.ones([2]), [])

    @tf.function
    def copies(x, items):
        items = list(items)
        items.append(x)
        return tf.add_n(items)

    assert copies(tf.ones([2]), []).numpy().tolist() == [1.0, 1.0]


def test_tff405_a_generator_dataset_with_an_open_dimension_retraces_per_length():
    """`from_generator` with `TensorSpec([None])` yields tensors of each length: a tf.function
    without `input_signature` traces once per length; a fixed signature traces once."""

    def lengths():
        for n in range(1, 5):
            yield list(range(n))

    @tf.function
    def consume(t):
        return tf.reduce_sum(t)

    for t in tf.data.Dataset.from_generator(lengths, output_signature=tf.TensorSpec([None], tf.int32)):
        consume(t)
    assert consume.experimental_get_tracing_count() == 4

    def pairs():
        for n in range(1, 5):
            yield [n, n]

    @tf.function
    def fixed(t):
        return tf.reduce_sum(t)

    for t in tf.data.Dataset.from_generator(pairs, output_signature=tf.TensorSpec([2], tf.int32)):
        fixed(t)
    assert fixed.experimental_get_tracing_count() == 1


def test_tff401_a_comprehension_is_a_loop():
    @tf.function
    def f(x):
        return x * 2

    _ = [f(i) for i in range(3)]
    assert f.experimental_get_tracing_count() == 3
    _ = [f(tf.constant(i)) for i in range(3)]
    assert f.experimental_get_tracing_count() == 4  # one more trace, for the int32 scalar
    _ = list(map(f, range(10, 13)))
    assert f.experimental_get_tracing_count() == 7  # `map` over Python ints: a trace each


def test_a_loss_that_updates_a_python_list_attribute_in_call_breaks_under_fit():
    """The tf-models YOLO pattern the Loss.call root now reports (TFF102): a moving average
    kept in a Python list on the loss, updated in `call`, runs only while tracing and leaves
    a symbolic tensor of one graph that the next graph cannot use."""
    import keras
    import numpy as np

    class Balanced(keras.losses.Loss):
        def __init__(self):
            super().__init__()
            self._balance = [1.0]

        def call(self, y_true, y_pred):
            loss = tf.reduce_mean(tf.square(y_true - y_pred))
            self._balance[0] = self._balance[0] * 0.9999 + 0.0001 / tf.stop_gradient(loss)
            return loss * self._balance[0]

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(loss=Balanced())
    with pytest.raises(Exception, match="out of scope|cannot be accessed"):
        model.fit(np.ones((32, 3), "float32"), np.ones((32, 1), "float32"), batch_size=4, verbose=0)
