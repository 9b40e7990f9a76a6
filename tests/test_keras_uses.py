"""A program's Keras model that is only ever called directly runs eagerly (issue 12).

Keras traces `call` and `train_step` inside `fit`, `evaluate` and `predict`; a
notebook or script that only calls its model (`g(z)`, `model.train_step(batch)`)
runs them eagerly, so `.numpy()` there is fine. Every use that may reach Keras's
tracing, or that the analysis cannot follow, keeps the class traced.
What TensorFlow does is in tests/test_recall_claims.py
(test_keras_build_and_direct_calls_run_eagerly).
"""

import textwrap

import pytest

from tests.conftest import lint_source

MODEL = """
    import tensorflow as tf


    class Probe(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = tf.keras.layers.Dense(2)
            self.seen = []

        def call(self, x):
            self.seen.append(x.numpy())
            return self.dense(x)

        def train_step(self, data):
            x, y = data
            loss = tf.reduce_mean(tf.square(self(x) - y))
            self.seen.append(loss.numpy())
            return {"loss": loss}

"""

EAGER = {
    "called-directly": """
        def main():
            model = Probe()
            model.build((4, 3))
            model(tf.zeros([4, 3]))
            model.train_step((tf.zeros([4, 3]), tf.zeros([4, 2])))
            print(model.seen, model.trainable_variables)


        if __name__ == "__main__":
            main()
    """,
    "passed-to-an-eager-helper-and-kept-on-self": """
        def evaluate(model, x):
            return model(x)


        class Harness:
            def __init__(self):
                self.model = Probe()

            def run(self):
                self.model.train_step((tf.zeros([4, 3]), tf.zeros([4, 2])))
                return evaluate(self.model, tf.zeros([4, 3]))


        if __name__ == "__main__":
            probe = Probe()
            evaluate(probe, tf.zeros([4, 3]))
            Harness().run()
    """,
}

TRACED = {
    "fit": """
        if __name__ == "__main__":
            model = Probe()
            model.compile(loss="mse")
            model.fit(tf.zeros([4, 3]), tf.zeros([4, 2]))
    """,
    "passed-to-a-helper-that-predicts": """
        def report(model):
            return model.predict(tf.zeros([4, 3]))


        if __name__ == "__main__":
            report(Probe())
    """,
    "called-from-a-tf-function": """
        model = Probe()


        @tf.function
        def step(x):
            return model(x)


        if __name__ == "__main__":
            step(tf.zeros([4, 3]))
    """,
    "call-handed-to-tf-function": """
        if __name__ == "__main__":
            model = Probe()
            fast = tf.function(model.call)
            fast(tf.zeros([4, 3]))
    """,
    "built-into-a-sequential": """
        if __name__ == "__main__":
            stack = tf.keras.Sequential([Probe()])
    """,
    "library-module-without-main": """
        def make():
            model = Probe()
            model(tf.zeros([4, 3]))
            return 1
    """,
    "never-constructed": """
        if __name__ == "__main__":
            print("no model here")
    """,
}


def _codes(tmp_path, tail: str) -> list[tuple[str, int]]:
    source = textwrap.dedent(MODEL) + textwrap.dedent(tail)
    return sorted((f.code, f.start.line) for f in lint_source(tmp_path, source))


@pytest.mark.parametrize("name", sorted(EAGER))
def test_a_model_only_called_directly_is_not_traced(tmp_path, name):
    assert _codes(tmp_path, EAGER[name]) == []


@pytest.mark.parametrize("name", sorted(TRACED))
def test_a_model_keras_may_trace_keeps_its_findings(tmp_path, name):
    codes = [code for code, _ in _codes(tmp_path, TRACED[name])]
    assert codes.count("TFF201") == 2, codes  # `.numpy()` in `call` and in `train_step`


def test_a_notebook_model_only_called_directly_is_not_traced(tmp_path):
    import json

    cells = [textwrap.dedent(MODEL), "model = Probe()\nmodel.train_step((tf.zeros([4, 3]), tf.zeros([4, 2])))\n"]
    notebook = {
        "nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": c} for c in cells],
    }
    assert lint_source(tmp_path, json.dumps(notebook), name="nb.ipynb") == []
    cells.append("model.fit(tf.zeros([4, 3]), tf.zeros([4, 2]))\n")
    notebook["cells"].append({**notebook["cells"][1], "source": cells[-1]})
    assert len(lint_source(tmp_path, json.dumps(notebook), name="nb.ipynb")) == 2
