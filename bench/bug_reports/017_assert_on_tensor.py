# Source: https://github.com/tensorflow/tensorflow/issues/34715
# Reported: "Can't use assert statement inside tf.function": `assert` of a tensor raises
#   "OperatorNotAllowedInGraphError: using a tf.Tensor as a Python bool is not allowed".
# Family: TFF2xx (native Python/NumPy operations on tensors)
# Expected: TFF205 on the `assert`.
# Observed (TensorFlow 2.21): OperatorNotAllowedInGraphError ... Python `bool` is not allowed.
# symptom: raises OperatorNotAllowedInGraphError "bool"
import tensorflow as tf


@tf.function
def normalise(x):
    assert tf.reduce_all(x >= 0.0), "inputs must be non-negative"  # expect: TFF205
    return x / tf.reduce_sum(x)


print(normalise(tf.constant([1.0, 3.0])))
