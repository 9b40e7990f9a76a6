"""Checked after a hang: the restarted worker must still trace it."""

import tensorflow as tf

history = []


@tf.function
def step(x):
    history.append(x)
    return x + 1
