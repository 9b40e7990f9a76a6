# Source: https://github.com/tensorflow/tensorflow/issues/38555
# Reported: "[tf.function] tf.Variable converted to tf.Tensor automatically in second loop":
#   `a = a[0].assign(...)` on both branches of an `if a[0] > 3:` inside a Python loop.
# Family: TFF3xx (Python data structures and control flow)
# Expected: TFF3xx family; no existing rule covers rebinding a variable to the tensor that
#   `assign` returns inside a tensor `if` (the name changes type between branches).
# Observed (TensorFlow 2.21): the second iteration fails: the name is no longer a variable
#   (an error about `assign` / the branch outputs).
# symptom: raises Exception ""
import numpy as np
import tensorflow as tf


@tf.function
def toggle(a):
    for i in range(3):
        if a[0] > 3:
            a = a[0].assign(1)  # expect: TFF3xx
        else:
            a = a[0].assign(2)
    return a


toggle(tf.Variable(np.array([1, 2, 3])))
