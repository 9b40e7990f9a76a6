# Source: https://github.com/tensorflow/addons/issues/138
# Reported: (in the thread) `if tf.shape(x)[0] < 3: raise ValueError("fail")` in a
#   tf.function raises for every shape, including [3, 3, 3], so a shape check never lets a
#   valid input through.
# Family: TFF3xx (Python data structures and control flow)
# Expected: TFF3xx family; no existing rule covers `raise` under a tensor `if`.
# Observed (TensorFlow 2.21): the valid input [3, 3, 3] raises too.
# symptom: raises ValueError "too short"
import tensorflow as tf


@tf.function
def third(x):
    if tf.shape(x)[0] < 3:
        raise ValueError("too short")  # expect: TFF3xx
    return x[2]


third(tf.random.uniform([3, 3, 3], seed=5))
