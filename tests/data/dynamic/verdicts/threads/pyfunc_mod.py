"""A tf.py_function body runs when the graph runs, on a thread TensorFlow started."""

import tensorflow as tf

calls = []


def body(x):
    print("body ran", x)
    calls.append(1)
    return x * 2


@tf.function
def step(x):
    return tf.py_function(body, [x], tf.float32)


@tf.function
def eager_only(x):
    if tf.executing_eagerly():
        print("eagerly", x)
    return x + 1
