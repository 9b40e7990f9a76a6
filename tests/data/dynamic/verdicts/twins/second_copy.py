"""Copied verbatim to first_copy.py: same functions, same lines, another file."""

import tensorflow as tf

history = []


@tf.function
def step(x):
    print("in step", x)
    history.append(x)
    return x * 2


@tf.function
def to_number(x):
    y = x + 1
    return y.numpy()


@tf.function
def scale(x, factor):
    return x * factor


def train():
    for factor in range(3):
        scale(tf.constant(1.0), factor)
