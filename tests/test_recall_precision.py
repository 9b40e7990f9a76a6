"""The recall widenings of issue 13 and their look-alikes.

Each widening (outer-state mutation of Python values, attributes of argument
objects, counters that are not guards, `next()` of Python iterators, Keras layers
made in a tf.function, straight-line calls with new literals, loops over literal
tuples) is checked both ways here: the pattern is reported, on its line, and the
look-alike next to it stays quiet. What TensorFlow does in each is in
tests/test_recall_claims.py.
"""

import textwrap

import pytest

from tests.conftest import lint_paths


def findings_of(tmp_path, source: str, name: str = "example.py") -> list[tuple[str, int]]:
    (tmp_path / name).write_text(textwrap.dedent(source), encoding="utf-8")
    return sorted({(f.code, f.start.line) for f in lint_paths(tmp_path, [name])})


def marked(source: str) -> list[tuple[str, int]]:
    """The `# TFFnnn` markers of ``source`` (dedented), as (code, line)."""
    found = []
    for number, line in enumerate(textwrap.dedent(source).splitlines(), 1):
        if "# TFF" in line:
            found.append((line.rsplit("# ", 1)[1].strip(), number))
    return sorted(found)


REPORTED = {
    "list-grown-in-range-of-len-of-an-unknown-dimension": """
        import tensorflow as tf

        @tf.function(input_signature=[tf.TensorSpec([None, 2])])
        def rows(ys):
            kept = []
            for i in range(len(ys)):
                kept.append(ys[i] * 2.0)  # TFF301
            return tf.stack(kept)
    """,
    "method-of-a-top-level-instance-makes-a-tf-function-per-call": """
        import tensorflow as tf

        class Scorer:
            def run(self, batch):
                @tf.function  # TFF402
                def step(x):
                    return x * 2.0

                return step(batch)

        scorer = Scorer()
        for _ in range(4):
            scorer.run(tf.ones([2]))
    """,
    "recursion-on-the-tensor-the-top-level-passes": """
        import tensorflow as tf

        @tf.function
        def halve_sum(x):
            n = tf.size(x)
            if n <= 1:
                return tf.reduce_sum(x)
            return halve_sum(x[: n // 2]) + halve_sum(x[n // 2 :])  # TFF107

        halve_sum(tf.range(8.0))
    """,
    "list-grown-over-a-tensor-parameter-the-caller-fills": """
        import tensorflow as tf

        @tf.function
        def double_rows(values):
            doubled = []
            for row in values:
                doubled.append(row * 2.0)  # TFF301
            return tf.stack(doubled)

        double_rows(tf.random.uniform((3, 2)))
    """,
    "numpy-in-a-metric-given-to-compile": """
        import numpy as np
        import tensorflow as tf

        def overlap(y_true, y_pred):
            hits = tf.reduce_sum(tf.cast(tf.equal(y_true, y_pred), tf.float32))
            return hits.numpy()  # TFF201

        model = tf.keras.Sequential([tf.keras.layers.Dense(3)])
        model.compile(optimizer="sgd", loss="mse", metrics=[overlap])
    """,
    "batch-dimension-in-a-loss-given-to-compile": """
        import tensorflow as tf

        def summed(y_true, y_pred):
            total = tf.reduce_sum(tf.square(y_true - y_pred), axis=0)
            return total / y_true.shape[0]  # TFF206

        model = tf.keras.Sequential([tf.keras.layers.Dense(4)])
        model.compile(optimizer="adam", loss={"out": summed})
    """,
    "module-list-grown-with-the-rank-of-an-argument": """
        import tensorflow as tf

        ranks = []

        @tf.function
        def step(x):
            ranks.append(len(x.shape))  # TFF102
            return x
    """,
    "closure-list-grown-with-a-number-from-an-argument": """
        import tensorflow as tf

        def make():
            seen = []

            @tf.function
            def step(x, n):
                seen.append(n * 2)  # TFF102
                return x
            return step
    """,
    "global-rebound-from-itself": """
        import tensorflow as tf

        history = []
        total = 0

        @tf.function
        def step(x):
            global history, total
            history = history + [1]  # TFF102
            total = 2 * total  # TFF102
            return x
    """,
    "attribute-of-an-argument-object-assigned-a-tensor": """
        import tensorflow as tf

        @tf.function
        def play(board, state):
            state.board = board * 2  # TFF103
            return board
    """,
    "attribute-of-an-argument-of-a-decorated-method": """
        import tensorflow as tf

        class Agent:
            @tf.function
            def act(self, obs, stats):
                stats.steps += 1  # TFF103
                return obs
    """,
    "counter-below-a-limit-is-not-a-guard": """
        import tensorflow as tf

        class Warmup(tf.Module):
            def __init__(self):
                super().__init__()
                self.step = 0

            @tf.function
            def __call__(self, x):
                if self.step < 10:
                    self.step += 1  # TFF103
                return x
    """,
    "next-of-a-generator-and-of-itertools": """
        import itertools
        import tensorflow as tf

        def batches():
            yield 1.0
            yield 2.0

        source = batches()
        counter = itertools.count()
        squares = (i * i for i in range(3))

        @tf.function
        def step(x):
            a = next(source)  # TFF104
            b = next(counter)  # TFF104
            c = next(squares)  # TFF104
            return x + a + b + c
    """,
    "keras-layer-made-and-called-in-one-expression": """
        import tensorflow as tf

        @tf.function
        def head(x):
            return tf.keras.layers.Conv2D(4, 3)(x)  # TFF105
    """,
    "straight-line-calls-in-a-function-with-strings": """
        import tensorflow as tf

        @tf.function
        def run(x, mode):
            return x

        def main():
            x = tf.ones([2])
            run(x, "train")
            run(x, "eval")  # TFF401
            run(x, "test")  # TFF401
            run(x, "eval")
    """,
    "whole-partially-known-shape-as-a-shape-argument": """
        import tensorflow as tf

        class Sampling(tf.keras.layers.Layer):
            def call(self, mean):
                return mean + tf.random.normal(mean.shape)  # TFF206

        @tf.function(input_signature=[tf.TensorSpec([None, 2])])
        def f(x):
            return tf.reshape(x, x.get_shape()) + tf.zeros(x.shape)  # TFF206
    """,
    "straight-line-calls-in-a-match-case": """
        import tensorflow as tf

        @tf.function
        def f(x, k):
            return x * k

        x = tf.ones([2])
        match x.shape[0]:
            case 2:
                f(x, 1)
                f(x, 2)  # TFF401
                f(x, 3)  # TFF401
            case _:
                pass
    """,
    "loop-over-a-list-of-arrays-of-different-lengths": """
        import numpy as np
        import tensorflow as tf

        @tf.function
        def encode(tokens):
            return tf.reduce_sum(tokens)

        sequences = [np.arange(n) for n in (3, 5, 7)]
        for seq in sequences:
            encode(tf.constant(seq))  # TFF405
        for i, seq in enumerate([np.zeros([2, 3]), np.zeros([4, 3])]):
            encode(seq)  # TFF405
    """,
    "keras-model-rebuilt-or-reloaded-in-the-loop-that-predicts": """
        import numpy as np
        import tensorflow as tf
        from tensorflow import keras

        def build_model():
            model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
            model.compile(loss="mse")
            return model

        class Head(keras.Model):
            def call(self, x):
                return x

        features = np.ones((4, 3), "float32")
        for fold in range(6):
            model = build_model()
            model.predict(features, verbose=0)  # TFF402
        for path in ["a.keras", "b.keras"]:
            loaded = tf.keras.models.load_model(path)
            loaded.evaluate(features, features)  # TFF402
        for _ in range(3):
            head = Head()
            head.predict_on_batch(features)  # TFF402
    """,
    "numpy-of-a-list-that-tensors-were-stored-into": """
        import numpy as np
        import tensorflow as tf

        @tf.function(input_signature=[tf.TensorSpec([6], tf.float32)])
        def by_item(features):
            window = [0.0] * 6
            for i in range(6):
                window[i] = features[i]
            return np.array(window)  # TFF203

        @tf.function(input_signature=[tf.TensorSpec([6], tf.float32)])
        def by_append(features):
            rows = []
            for i in range(3):
                rows.append(features[i] * 2.0)
            return np.stack(rows)  # TFF203

        @tf.function(input_signature=[tf.TensorSpec([6], tf.float32)])
        def by_display(features):
            parts = [features[:2], features[2:]]
            return np.concatenate(parts)  # TFF203
    """,
    "tensor-left-on-a-plain-object-that-is-read-or-on-a-layer": """
        import tensorflow as tf

        class Masker:
            @tf.function
            def mask(self, h):
                size = tf.cast(h, tf.int32) * 2
                self.size = size  # TFF103
                return tf.zeros([size])

        class Scores(tf.keras.layers.Layer):
            def call(self, x):
                self.kept = tf.nn.softmax(x)  # TFF103
                return x

        masker = Masker()
        masker.mask(tf.constant(3.0))
        print(masker.size)
    """,
    "keras-loss-metric-lambda-and-vectorized-map-are-traced": """
        import numpy as np
        import tensorflow as tf
        import keras

        class MyLoss(keras.losses.Loss):
            def call(self, y_true, y_pred):
                return np.mean(y_pred)  # TFF203

        class MyMetric(keras.metrics.Metric):
            def update_state(self, y_true, y_pred, sample_weight=None):
                print("update", y_pred)  # TFF101

            def result(self):
                return tf.constant(1.0).numpy()  # TFF201

        def doubled(x):
            return x.numpy() * 2  # TFF201

        layer = keras.layers.Lambda(doubled)

        def per_row(row):
            return row.numpy()  # TFF201

        tf.vectorized_map(per_row, tf.ones([3, 2]))
    """,
    "new-object-per-call-and-a-schedule-of-the-epoch-and-padded-batches": """
        import tensorflow as tf

        class Scale:
            def __init__(self, k):
                self.k = k

        @tf.function
        def apply(scale, x):
            return x * scale.k

        def schedule(epoch):
            return 0.1 * epoch

        @tf.function
        def train(lr):
            return lr * 2.0

        @tf.function
        def consume(batch):
            return tf.reduce_sum(batch)

        for _ in range(3):
            apply(Scale(2.0), tf.ones([2]))  # TFF401
        for epoch in range(5):
            lr = schedule(epoch)
            train(lr)  # TFF401
        ds = tf.data.Dataset.range(1, 9).map(lambda i: tf.range(i)).padded_batch(2).prefetch(1)
        for batch in ds:
            consume(batch)  # TFF405
    """,
    "tuple-returned-by-a-helper-and-unpacked": """
        import numpy as np
        import tensorflow as tf

        def pair(x):
            return x * 2.0, 3

        @tf.function(input_signature=[tf.TensorSpec([3], tf.float32)])
        def step(x):
            outputs, count = pair(x)
            total = np.square(count)
            return np.mean(outputs) + total  # TFF203
    """,
    "effects-through-constructors-module-instances-and-list-arguments": """
        import tensorflow as tf

        history = []
        log = []

        class Recorder:
            def __init__(self, value):
                self.value = value  # the object is made in the trace: its own state
                history.append(value)  # TFF102

        class Tracker:
            def record(self, value):
                log.append(value)  # TFF102

        tracker = Tracker()

        @tf.function
        def step(x, items):  # TFF404
            items.append(x)
            Recorder(x)
            tracker.record(x)
            return x * 2.0

        step(tf.ones([2]), [])
    """,
    "counter-on-self-generator-dataset-and-a-wrapped-step-in-a-busy-loop": """
        import tensorflow as tf

        def add_one(x):
            return x + 1

        @tf.function
        def f(x):
            return x * 2

        class Trainer:
            def __init__(self):
                self.step = 0

            def run(self, batches):
                for batch in batches:
                    self.step += 1
                    f(self.step)  # TFF401

        def train(steps):
            for i in range(steps):
                loss = i * 2
                g = tf.function(add_one)  # TFF402
                g(tf.constant(loss))

        def gen():
            for n in range(1, 5):
                yield list(range(n))

        ds = tf.data.Dataset.from_generator(gen, output_signature=tf.TensorSpec([None], tf.int32))
        for t in ds:
            f(t)  # TFF405
    """,
    "comprehension-over-a-range-at-the-top-level": """
        import tensorflow as tf

        @tf.function
        def f(x):
            return x * 2

        results = [f(i) for i in range(5)]  # TFF401
        mapped = list(map(f, range(5)))  # TFF401

        def sweep():
            return [f(i) for i in range(5)]  # TFF401
    """,
    "loss-stats-read-from-outside-the-class": """
        import tensorflow as tf
        import keras

        class StatsLoss(keras.losses.Loss):
            def call(self, y_true, y_pred):
                loss = tf.reduce_mean(tf.square(y_true - y_pred))
                self.last_loss = tf.stop_gradient(loss)  # TFF103
                return loss

        loss_fn = StatsLoss()
        print(loss_fn.last_loss)
    """,
    "loop-over-literal-numbers": """
        import tensorflow as tf

        @tf.function
        def scaled(x, factor):
            return x * factor

        for factor in (0.5, 1.0, 2.0):
            scaled(tf.ones([2]), factor)  # TFF401
    """,
}

QUIET = {
    "loss-stats-read-back-by-a-report-method-and-methods-replaced-in-new": """
        import types

        import tensorflow as tf
        import keras

        class StatsLoss(keras.losses.Loss):
            def call(self, y_true, y_pred):
                loss = tf.reduce_mean(tf.square(y_true - y_pred))
                self._last_loss = tf.stop_gradient(loss)  # read by report() in the same trace
                return loss

            def report(self):
                return {"loss": self._last_loss}

        class HostMetric(keras.metrics.Metric):
            def __new__(cls, *args, **kwargs):
                obj = super().__new__(cls)

                def on_host(self, y_true, y_pred, sample_weight=None):
                    return tf.py_function(lambda *a: None, [y_true, y_pred], [])

                obj.update_state = types.MethodType(on_host, obj)
                return obj

            def update_state(self, y_true, y_pred, sample_weight=None):
                print("runs eagerly, through tf.py_function", y_pred.numpy())
    """,
    "comprehension-passing-tensors-or-data": """
        import tensorflow as tf

        @tf.function
        def f(x):
            return x * 2

        results = [f(tf.constant(i)) for i in range(5)]
        batches = [tf.ones([2]), tf.zeros([2])]
        outputs = [f(batch) for batch in batches]
        mapped = list(map(f, batches))
        flags = list(map(f, [True, False]))

        @tf.function
        def traced():
            return [f(i) for i in range(5)]  # inside a trace: inlined, traced with it
    """,
    "counter-on-self-as-a-tensor-and-a-fixed-generator-signature": """
        import tensorflow as tf

        @tf.function
        def f(x):
            return x * 2

        class Trainer:
            def __init__(self):
                self.step = 0

            def run(self, batches):
                for batch in batches:
                    self.step += 1
                    f(tf.constant(self.step))

        def gen():
            for n in range(1, 5):
                yield [n, n]

        ds = tf.data.Dataset.from_generator(gen, output_signature=tf.TensorSpec([2], tf.int32))
        for t in ds:
            f(t)
    """,
    "constructors-and-arguments-that-touch-no-outer-state": """
        import tensorflow as tf

        class Box:
            def __init__(self, value):
                self.value = value * 2.0
                self.parts = []
                self.parts.append(value)

        class Reader:
            scale = 2.0

            def scaled(self, value):
                return value * self.scale

        reader = Reader()

        @tf.function
        def step(x, items, sizes):
            items = list(items)
            items.append(x)
            box = Box(x)
            return box.value + reader.scaled(x) * len(sizes)

        step(tf.ones([2]), [], (1, 2))
    """,
    "one-object-a-tensor-schedule-and-fixed-padding": """
        import tensorflow as tf

        class Scale:
            def __init__(self, k):
                self.k = k

        @tf.function
        def apply(scale, x):
            return x * scale.k

        def schedule(epoch):
            return tf.constant(0.1) * epoch

        @tf.function
        def train(lr):
            return lr * 2.0

        @tf.function
        def consume(batch):
            return tf.reduce_sum(batch)

        scale = Scale(2.0)
        for _ in range(3):
            apply(scale, tf.ones([2]))
        for epoch in range(5):
            lr = schedule(epoch)
            train(lr)
        ds = tf.data.Dataset.range(1, 9).map(lambda i: tf.range(i)).padded_batch(2, padded_shapes=[8])
        for batch in ds:
            consume(batch)
    """,
    "keras-loss-helpers-and-eager-callbacks-are-not-traced": """
        import numpy as np
        import tensorflow as tf
        import keras

        class MyLoss(keras.losses.Loss):
            def describe(self, y_pred):  # not called by Keras
                return np.mean(y_pred)

            def call(self, y_true, y_pred):
                return tf.reduce_mean(y_pred)

        def pick(x):
            return x.numpy()

        def branch():
            return tf.constant(1).numpy()

        # Eagerly, `tf.switch_case` runs the chosen branch as Python, and `strategy.run`
        # outside a tf.function calls the function eagerly.
        tf.switch_case(tf.constant(0), [branch, branch])
        tf.distribute.get_strategy().run(pick, args=(tf.ones([2]),))
        layer = keras.layers.Lambda(lambda x: x * 2.0)
    """,
    "tensor-left-on-a-plain-object-that-nothing-reads": """
        import tensorflow as tf

        class GridMask(object):
            @tf.function
            def mask(self, h):
                width = tf.cast(h, tf.int32) * 2
                self.mask_width = width  # a dead store: nothing in the project reads it
                return tf.zeros([width])

        GridMask().mask(tf.constant(3.0))
    """,
    "numpy-of-a-list-of-python-values-or-static-dimensions": """
        import numpy as np
        import tensorflow as tf

        @tf.function(input_signature=[tf.TensorSpec([None, 6], tf.float32)])
        def shaped(features):
            weights = []
            for i in range(3):
                weights.append(0.5 * i)
            scale = np.array(weights).sum()
            dims = [features.shape[1], 2]
            size = np.prod(dims)
            return features * scale + size

        @tf.function(input_signature=[tf.TensorSpec([6], tf.float32)])
        def rebuilt(features):
            parts = [features[:2], features[2:]]
            parts = [1.0, 2.0]
            return features * np.mean(parts)

        def eager(features):
            rows = [features[0], features[1]]
            return np.array(rows)

        eager(tf.ones([6]))
    """,
    "keras-model-built-once-or-trained-per-fold-or-called": """
        import numpy as np
        from sklearn.linear_model import LogisticRegression
        from tensorflow import keras

        def build_model():
            return keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])

        features = np.ones((4, 3), "float32")
        model = build_model()
        for fold in range(6):
            model.predict(features, verbose=0)  # one model, one predict function
        for fold in range(6):
            fresh = build_model()
            fresh.compile(loss="mse")
            fresh.fit(features, features[:, :1], verbose=0)  # cross-validation: trained per fold
            fresh.evaluate(features, features[:, :1], verbose=0)
        for fold in range(6):
            scratch = build_model()
            scratch(features, training=False)  # an eager call traces nothing
        for fold in range(6):
            clf = LogisticRegression()
            clf.predict(features)  # not Keras

        def best_trained_model(epochs):
            model = build_model()
            model.compile(loss="mse")
            model.fit(features, features[:, :1], epochs=epochs, verbose=0)
            return model

        for epochs in (1, 2):
            trained = best_trained_model(epochs)  # trained by the helper
            trained.evaluate(features, features[:, :1], verbose=0)
    """,
    "loop-over-a-list-of-arrays-of-one-shape": """
        import numpy as np
        import tensorflow as tf

        @tf.function
        def encode(tokens):
            return tf.reduce_sum(tokens)

        sequences = [np.zeros(3) for _ in range(5)]
        for seq in sequences:
            encode(tf.constant(seq))
        for seq in [np.zeros([2, 3]), np.zeros([2, 3])]:
            encode(seq)

        @tf.function(reduce_retracing=True)
        def relaxed(tokens):
            return tf.reduce_sum(tokens)

        for seq in [np.arange(n) for n in (3, 5, 7)]:
            relaxed(seq)
    """,
    "list-grown-in-range-of-len-of-a-known-dimension": """
        import tensorflow as tf

        @tf.function(input_signature=[tf.TensorSpec([3, 2])])
        def rows(ys):
            kept = []
            for i in range(len(ys)):
                kept.append(ys[i] * 2.0)
            return tf.stack(kept)
    """,
    "list-grown-in-range-of-len-of-a-python-list": """
        import tensorflow as tf

        @tf.function
        def total(x):
            weights = [0.5, 1.0, 2.0]
            parts = []
            for i in range(len(weights)):
                parts.append(x * weights[i])
            return tf.add_n(parts)
    """,
    "method-of-a-top-level-instance-reuses-its-tf-function": """
        import tensorflow as tf

        class Scorer:
            def __init__(self):
                self.step = tf.function(lambda x: x * 2.0)

            def run(self, batch):
                return self.step(batch)

        scorer = Scorer()
        for _ in range(4):
            scorer.run(tf.ones([2]))
    """,
    "method-of-an-outside-class-instance-in-a-loop": """
        import tensorflow as tf

        model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
        for _ in range(4):
            model.predict(tf.ones([2, 3]), verbose=0)
    """,
    "recursion-on-python-ints-the-top-level-passes": """
        import tensorflow as tf

        @tf.function
        def countdown(n):
            if n <= 0:
                return tf.constant(0)
            return countdown(n - 1)

        countdown(3)
        countdown(tf.constant(2).numpy().item())
    """,
    "one-caller-passes-a-tensor-another-a-python-list": """
        import tensorflow as tf

        @tf.function
        def total(values):
            parts = []
            for v in values:
                parts.append(v * 2)
            return tf.add_n(parts)

        total(tf.ones([3]))
        total([1.0, 2.0])
    """,
    "compile-with-built-in-losses-and-a-plain-metric": """
        import numpy as np
        import tensorflow as tf

        def report(history):
            return np.mean(history.history["loss"])

        model = tf.keras.Sequential([tf.keras.layers.Dense(3)])
        model.compile(optimizer="sgd", loss="mse", metrics=["accuracy"])
        report(model.fit(np.ones((4, 2)), np.ones((4, 3)), verbose=0))
    """,
    "loss-given-to-compile-uses-tf-shape": """
        import tensorflow as tf

        def summed(y_true, y_pred):
            total = tf.reduce_sum(tf.square(y_true - y_pred), axis=0)
            return total / tf.cast(tf.shape(y_true)[0], tf.float32)

        model = tf.keras.Sequential([tf.keras.layers.Dense(4)])
        model.compile(optimizer="adam", loss=summed)
    """,
    "set-add-and-dict-update-are-idempotent": """
        import tensorflow as tf

        names = set()
        options = {}

        @tf.function
        def step(x):
            names.add(len(x.shape))
            options.update(rank=len(x.shape))
            return x
    """,
    "self-list-of-sub-layers-built-on-the-first-trace": """
        import tensorflow as tf

        class Stack(tf.keras.layers.Layer):
            def __init__(self):
                super().__init__()
                self.blocks = []

            def call(self, inputs, width=4):
                if not self.blocks:
                    self.blocks.append(tf.keras.layers.Dense(width))
                return self.blocks[0](inputs)
    """,
    "a-constant-appended-counts-traces": """
        import tensorflow as tf

        TRACES = []

        @tf.function
        def step(x):
            TRACES.append(1)
            return x
    """,
    "local-list-grown-with-numbers": """
        import tensorflow as tf

        @tf.function
        def step(x, n):
            sizes = []
            sizes.append(n * 2)
            return x * len(sizes)
    """,
    "global-flag-set-not-computed-from-itself": """
        import tensorflow as tf

        traced = False

        @tf.function
        def step(x):
            global traced
            traced = True
            return x
    """,
    "counter-in-eager-code": """
        import tensorflow as tf

        class Counter:
            value = 0

        def work(x, state):
            state.value += 1
            return x * 2.0

        counter = Counter()
        for _ in range(3):
            work(tf.ones([2]), counter)
    """,
    "attribute-of-a-helper-parameter-made-in-the-trace": """
        import tensorflow as tf

        class Acc:
            def __init__(self):
                self.total = 0

        def add(acc, v):
            acc.total += v
            return acc

        @tf.function
        def step(x):
            acc = add(Acc(), 1)
            return x * acc.total
    """,
    "argument-rebound-to-a-fresh-object-first": """
        import tensorflow as tf

        class State:
            value = 0

        @tf.function
        def step(x, state=None):
            state = State()
            state.value += 1
            return x
    """,
    "none-guard-still-guards": """
        import tensorflow as tf

        class Lazy(tf.Module):
            def __init__(self):
                super().__init__()
                self.scale = None

            @tf.function
            def __call__(self, x):
                if self.scale is None:
                    self.scale = tf.Variable(2.0)
                return x * self.scale
    """,
    "next-of-a-dataset-iterator-and-of-a-local-iterator": """
        import tensorflow as tf

        elements = iter(tf.data.Dataset.range(3))

        @tf.function
        def step(x):
            local = iter([1, 2, 3])
            return x + tf.cast(next(elements), tf.float32) + next(local)
    """,
    "next-of-a-name-also-given-a-dataset-iterator": """
        import tensorflow as tf

        source = iter([1.0, 2.0])
        source = iter(tf.data.Dataset.from_tensor_slices([1.0, 2.0]))

        @tf.function
        def step(x):
            return x + next(source)
    """,
    "keras-layers-made-outside-or-without-weights": """
        import tensorflow as tf

        dense = tf.keras.layers.Dense(2)

        @tf.function
        def forward(x):
            drop = tf.keras.layers.Dropout(0.1)
            unused = tf.keras.layers.Dense(3)
            return drop(dense(tf.keras.layers.Flatten()(x)))
    """,
    "keras-layer-made-behind-a-guard": """
        import tensorflow as tf

        class Model(tf.Module):
            def __init__(self):
                super().__init__()
                self.head = None

            @tf.function
            def __call__(self, x):
                if self.head is None:
                    self.head = tf.keras.layers.Dense(1)
                return self.head(x)
    """,
    "two-flag-values-are-the-usual-pair": """
        import tensorflow as tf

        @tf.function
        def forward(x, training):
            return x

        x = tf.ones([2])
        forward(x, True)
        forward(x, False)
        forward(x, training=True)
    """,
    "straight-line-calls-with-tensors-or-a-signature": """
        import tensorflow as tf

        @tf.function
        def f(x, k):
            return x * k

        @tf.function(input_signature=[tf.TensorSpec([2]), tf.TensorSpec([])])
        def g(x, k):
            return x * k

        x = tf.ones([2])
        f(x, tf.constant(1.0))
        f(x, tf.constant(2.0))
        f(x, tf.constant(3.0))
        g(x, 1.0)
        g(x, 2.0)
        g(x, 3.0)
    """,
    "calls-spread-over-blocks-are-not-one-sequence": """
        import tensorflow as tf

        @tf.function
        def f(x, k):
            return x * k

        x = tf.ones([2])
        f(x, 1)
        if x.shape[0] == 2:
            f(x, 2)
        else:
            f(x, 3)
    """,
    "calls-with-star-arguments-or-in-separate-handlers": """
        import tensorflow as tf

        @tf.function
        def f(x, k):
            return x * k

        x = tf.ones([2])
        with tf.device("/cpu:0"):
            f(x, 1)
            f(x, *[2])
            f(k=3, x=x)
        try:
            f(x, 4)
        except ValueError:
            f(x, 5)
        finally:
            f(x, 6)
    """,
    "loop-over-two-literals-or-a-mixed-tuple": """
        import tensorflow as tf

        @tf.function
        def f(x, k):
            return x * k

        for k in (1, 2):
            f(tf.ones([2]), k)
        for k in (1, 2, "three", None):
            f(tf.ones([2]), k)
    """,
    "fixed-shape-with-a-literal-seed-per-iteration": """
        import tensorflow as tf

        @tf.function
        def f(x):
            return tf.reduce_sum(x)

        for seed in (1, 2, 3):
            f(tf.random.uniform([4, 4], seed=seed))
    """,
    "known-shapes-and-slices-of-a-partial-shape": """
        import tensorflow as tf

        class Sampling(tf.keras.layers.Layer):
            def call(self, mean):
                return mean + tf.random.normal(tf.shape(mean)) + tf.zeros(mean.shape[1:])

        @tf.function(input_signature=[tf.TensorSpec([3, 2])])
        def f(x):
            return tf.zeros(x.shape)

        @tf.function
        def g(x):
            return tf.ones(x.shape)
    """,
    "divided-by-a-name-that-is-not-only-a-number": """
        import tensorflow as tf

        @tf.function
        def f(x, w):
            return x * w

        total = tf.constant(4.0)
        for t in range(3):
            f(tf.ones([2]), float(t) / total)
    """,
}


@pytest.mark.parametrize("name", sorted(REPORTED))
def test_widened_pattern_is_reported_on_its_line(tmp_path, name):
    source = REPORTED[name]
    assert findings_of(tmp_path, source) == marked(source)


@pytest.mark.parametrize("name", sorted(QUIET))
def test_look_alike_stays_quiet(tmp_path, name):
    assert findings_of(tmp_path, QUIET[name]) == []


def test_straight_line_calls_across_modules_report_the_caller(tmp_path):
    (tmp_path / "steps.py").write_text(textwrap.dedent("""
        import tensorflow as tf

        @tf.function
        def scale(x, factor):
            return x * factor
    """), encoding="utf-8")
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        import tensorflow as tf
        from steps import scale

        x = tf.ones([2])
        scale(x, 1)
        scale(x, 2)
        scale(x, 3)
    """), encoding="utf-8")
    findings = lint_paths(tmp_path, ["."])
    assert sorted((f.code, f.path, f.start.line) for f in findings) == [
        ("TFF401", "main.py", 7), ("TFF401", "main.py", 8)]
    assert all("3 combinations" in f.message for f in findings)
