"""Imports a module that does not exist."""

import tensorflow as tf
import tflint_fn_no_such_module  # noqa: F401


@tf.function
def step(x):
    print("step", x)
    return x
