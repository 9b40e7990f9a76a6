"""TFF106 in scripts and notebooks: a rebinding matters only if it can run after the first trace.

The quiet cases are the false-positive patterns triaged on tutorial and book
code (paraphrased); the reported ones are the bugs they look like.
"""

import json
import textwrap

import pytest

from tests.conftest import run_cli

QUIET = {
    "rebound-before-the-function-exists": """
        net = tf.keras.Sequential([tf.keras.layers.Dense(2)])
        print(net(tf.ones([1, 4])))
        net = tf.keras.Sequential([tf.keras.layers.Dense(3)])

        @tf.function
        def step(x):
            return net(x)

        for _ in range(3):
            step(tf.ones([1, 4]))
        """,
    "rebound-after-the-last-call": """
        net = tf.keras.Sequential([tf.keras.layers.Dense(2)])

        @tf.function
        def evaluate(x):
            return net(x)

        evaluate(tf.ones([1, 4]))
        net = tf.keras.Sequential([tf.keras.layers.Dense(5)])
        print(net(tf.ones([1, 4])))
        """,
    "rebound-to-the-same-value": """
        B = tf.keras.backend

        class Heads(tf.keras.layers.Layer):
            def call(self, x):
                return B.reshape(x, [-1, 2])

        print(Heads()(tf.ones([2, 4])))
        B = tf.keras.backend
        print(Heads()(tf.ones([2, 4])))
        """,
    "each-map-traced-with-the-value-of-its-time": """
        raw = tf.data.Dataset.from_tensor_slices(["a b", "c d"])
        scale = 2
        doubled = raw.map(lambda s: tf.strings.length(s) * scale)
        print(list(doubled))
        scale = 3
        tripled = raw.map(lambda s: tf.strings.length(s) * scale)
        """,
    "a-closure-over-the-enclosing-function-parameter": """
        def make_windows(series, size):
            ds = tf.data.Dataset.from_tensor_slices(series).window(size, drop_remainder=True)
            return ds.flat_map(lambda w: w.batch(size))

        size = 4
        first = make_windows([1.0, 2.0, 3.0, 4.0, 5.0], size)
        print(first)
        size = 2
        second = make_windows([1.0, 2.0, 3.0], size)
        """,
    "a-lambda-parameter-named-like-a-global": """
        def read(name):
            ds = tf.data.TextLineDataset(name)
            return ds.map(lambda x: tf.strings.regex_replace(x, "a", "b"))

        files = tf.data.Dataset.from_tensor_slices(["a.txt"])
        lines = files.interleave(read, cycle_length=2)
        x = 1
        print(lines)
        x, y = 2, 3
        """,
    "a-keras-model-called-eagerly-before-the-rebinding": """
        factor = 1.0

        class Scaled(tf.keras.Model):
            def call(self, x):
                return x * factor

        model = Scaled()
        print(model(tf.constant([1.0])))
        factor = 2.0
        model.predict(tf.constant([1.0]))
        """,
}

REPORTED = {
    "called-rebound-called-again": ("""
        scale = 1.0

        @tf.function
        def step(x):
            return x * scale

        step(tf.constant(1.0))
        scale = 2.0
        step(tf.constant(1.0))
        """, 11),
    "a-loop-around-the-calls": ("""
        @tf.function
        def step(x):
            return x * rate

        for lr in [0.1, 0.01]:
            rate = lr
            step(tf.constant(1.0))
        """, 8),
    "a-dataset-iterated-after-the-rebinding": ("""
        shift = 2
        raw = tf.data.Dataset.from_tensor_slices([1, 2])
        doubled = raw.map(lambda s: s * shift)
        print(list(doubled))
        shift = 3
        for element in doubled:
            print(element)
        """, 8),
    "a-model-predicting-again-after-the-rebinding": ("""
        offset = 1.0

        class Shifted(tf.keras.Model):
            def call(self, x):
                return x + offset

        model = Shifted()
        model.predict(tf.constant([1.0]))
        offset = 2.0
        history = model.predict(tf.constant([1.0]))
        """, 12),
    "through-a-training-function-called-later": ("""
        lr = 0.1

        @tf.function
        def step(x):
            return x * lr

        def train():
            for _ in range(3):
                step(tf.constant(1.0))

        train()
        lr = 0.01
        train()
        """, 15),
}


def source(body: str) -> str:
    return "import tensorflow as tf\n\n" + textwrap.dedent(body)


@pytest.mark.parametrize("name", sorted(QUIET))
def test_harmless_rebindings_are_quiet(lint, name):
    assert [f"{f.code} {f.start.line}" for f in lint(source(QUIET[name]))] == []


@pytest.mark.parametrize("name", sorted(REPORTED))
def test_a_rebinding_after_the_first_trace_is_reported_with_its_line(lint, name):
    body, line = REPORTED[name]
    found = [f for f in lint(source(body)) if f.code == "TFF106"]
    assert len(found) == 1, [f.message for f in found]
    assert f"(line {line})" in found[0].message


def test_in_a_notebook_the_message_names_the_cell_of_the_rebinding(tmp_path):
    cells = [
        "import tensorflow as tf\nscale = 1.0\n",
        "@tf.function\ndef step(x):\n    return x * scale\n",
        "step(tf.constant(1.0))\n",
        "# try a bigger scale\nscale = 2.0\nstep(tf.constant(1.0))\n",
    ]
    document = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                "cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None}
                          for c in cells]}
    (tmp_path / "nb.ipynb").write_text(json.dumps(document))
    [finding] = json.loads(run_cli(".", "--format", "json", "--no-cache", cwd=tmp_path).stdout)["findings"]
    assert (finding["code"], finding["cell"], finding["start"]["line"]) == ("TFF106", 2, 3)
    assert "(cell 4, line 2)" in finding["message"]


def test_a_function_that_rebinds_the_global_is_still_reported(lint):
    found = lint(source("""
        scale = 1.0

        @tf.function
        def step(x):
            return x * scale

        def set_scale(value):
            global scale
            scale = value
        """))
    assert [f.code for f in found] == ["TFF106"] and "reassigned by a function" in found[0].message


def test_every_definition_counts_when_a_later_cell_redefines_it(lint):
    found = lint(source("""
        import numpy as np

        class Classifier(tf.keras.Model):
            def call(self, x):
                return np.argmax(x, axis=-1)

        @tf.function
        def step(x):
            print("loss", x)
            return x

        step(tf.constant(1.0))

        class Classifier(tf.keras.Model):
            def call(self, x):
                return tf.argmax(x, axis=-1)

        @tf.function
        def step(x):
            tf.print("loss", x)
            return x
        """))
    assert [(f.code, f.start.line, f.function) for f in found] == [
        ("TFF203", 8, "Classifier.call"),
        ("TFF101", 12, "step"),
    ]
    # --dynamic would import the last definitions: these findings have no subject to trace.
    assert all(f.subject is None for f in found)


def test_calls_resolve_to_the_definition_in_effect_last(lint):
    found = lint(source("""
        def helper(x):
            return x.numpy()

        def helper(x):
            return x * 2

        @tf.function
        def step(x):
            return helper(x)
        """))
    assert found == []
