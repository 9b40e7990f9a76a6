# Source: https://github.com/tensorflow/tensorflow/issues/38539
# Reported: "tf.function decorated functions fail in graph mode if any of the branches of
#   conditionals would be invalid at runtime": `if tf.size(t) == 2: return t[1]` fails for a
#   one-element tensor although that branch is never taken (also issue 56560).
# Family: TFF3xx (Python data structures and control flow)
# Expected: TFF3xx family; no existing rule covers a branch that is invalid for the traced
#   shape (both branches of a tensor `if` are traced).
# Observed (TensorFlow 2.21): ValueError slice index 1 of dimension 0 out of bounds.
# symptom: raises ValueError "out of bounds"
import tensorflow as tf


@tf.function
def pick(t):
    if tf.size(t) == 2:
        return t[1]  # expect: TFF3xx
    return t[0]


pick(tf.constant([7]))
