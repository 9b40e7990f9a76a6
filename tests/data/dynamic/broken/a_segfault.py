"""Crashes the interpreter with a segmentation fault while it is imported."""

import ctypes

import tensorflow as tf

# An assignment, so that it runs even when a script's top-level calls are deferred.
_CRASH = ctypes.string_at(0)


@tf.function
def step(x):
    print("step", x)
    return x
