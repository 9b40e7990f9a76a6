# Source: https://github.com/tensorflow/tensorflow/issues/37512
# Reported: "InaccessibleTensorError when appending to list, while looping" over a tensor
#   argument inside a tf.function.
# Family: TFF3xx (Python data structures and control flow)
# Expected: TFF301 on the append inside the loop over the tensor argument.
# Observed (TensorFlow 2.21): the loop becomes a graph loop, the list gets the loop body's
#   tensor, and tf.stack raises InaccessibleTensorError.
# symptom: raises InaccessibleTensorError "cannot be accessed"
import tensorflow as tf


@tf.function
def double_rows(values):
    doubled = []
    for row in values:
        doubled.append(row * 2.0)  # expect: TFF301
    return tf.stack(doubled)


double_rows(tf.random.uniform((3, 2), seed=4))
