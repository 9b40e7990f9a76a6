# Source: https://github.com/tensorflow/tensorflow/issues/33039
# Reported: "ValueError: Lengths of branch outputs of cond must match." The fix found in
#   the thread: "one branch was outputting a variable with None and the other branch was
#   outputting a tensor".
# Family: TFF3xx (Python data structures and control flow)
# Expected: TFF302 on the one-branch assignment of a name set to None before a tensor `if`.
# Observed (TensorFlow 2.21): ValueError ... 'aux' must also be initialized in the else
#   branch / is None in one branch.
# symptom: raises ValueError "aux"
import tensorflow as tf


@tf.function
def gated(x):
    aux = None
    if tf.reduce_sum(x) > 0:
        aux = x * 2.0  # expect: TFF302
    return x + aux


gated(tf.constant([1.0, -2.0]))
