"""An honest module checked after the forger."""

import tensorflow as tf


@tf.function
def step(x):
    print("good", x)
    return x
