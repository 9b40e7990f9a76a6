# Source: https://github.com/tensorflow/tensorflow/issues/29504
# Reported: "tf.function fails to parse for-loop in some circumstances": appending the
#   index of `for i in tf.range(num_iter)` to a list and `tf.add_n` of it fails, while the
#   same function works without the decorator.
# Family: TFF3xx (Python data structures and control flow)
# Expected: TFF301 on the append.
# Observed (TensorFlow 2.21): InaccessibleTensorError (the list holds the loop body's tensor).
# symptom: raises InaccessibleTensorError "cannot be accessed"
import tensorflow as tf


@tf.function
def sum_of_indices(num_iter):
    digits = []
    for i in tf.range(num_iter):
        digits.append(i)  # expect: TFF301
    return tf.add_n(digits)


sum_of_indices(5)
