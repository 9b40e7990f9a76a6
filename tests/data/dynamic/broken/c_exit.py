"""Calls sys.exit while it is imported."""

import sys

import tensorflow as tf


@tf.function
def step(x):
    print("step", x)
    return x


sys.exit(3)
