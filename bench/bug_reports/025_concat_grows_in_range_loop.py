# Source: https://github.com/tensorflow/tensorflow/issues/56296
# Reported: growing `v = tf.concat((v, [i]), 0)` in `for i in tf.range(3)` needs
#   `tf.autograph.experimental.set_loop_options(shape_invariants=...)`; without it the loop
#   variable's shape changes between iterations (see also issue 45538).
# Family: TFF3xx (Python data structures and control flow)
# Expected: TFF303 on the concat that grows the fixed-shape loop variable.
# Observed (TensorFlow 2.21): ValueError: 'v' has shape (1,) before the loop, but shape (2,)
#   after one iteration.
# symptom: raises ValueError "after one iteration"
import tensorflow as tf


@tf.function
def collect():
    v = tf.constant((0,))
    for i in tf.range(3):
        v = tf.concat((v, [i]), 0)  # expect: TFF303
    return v


collect()
