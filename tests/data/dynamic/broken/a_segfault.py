"""Crashes the interpreter with a segmentation fault while it is imported."""

import ctypes

import tensorflow as tf

ctypes.string_at(0)


@tf.function
def step(x):
    print("step", x)
    return x
