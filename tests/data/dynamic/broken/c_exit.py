"""Calls sys.exit while it is imported."""

import sys

import tensorflow as tf


@tf.function
def step(x):
    print("step", x)
    return x


# An assignment, so that it runs even when a script's top-level calls are deferred.
_EXIT = sys.exit(3)
