# Source: https://github.com/tensorflow/tensorflow/issues/45279
# Reported: "Error building graph with @tf.function decorator for recursive function":
#   a recursive split on a tensor argument; maintainers: tf.function does not support recursion.
# Family: TFF1xx (Python side effects)
# Expected: TFF107 on the recursive call with a tensor argument.
# Observed (TensorFlow 2.21): the trace recurses until Python's recursion limit
#   (RecursionError / "maximum recursion depth").
# symptom: raises Exception "recursion"
import tensorflow as tf


@tf.function
def halve_sum(x):
    n = tf.size(x)
    if n <= 1:
        return tf.reduce_sum(x)
    half = n // 2
    return halve_sum(x[:half]) + halve_sum(x[half:])  # expect: TFF107


print(halve_sum(tf.range(8.0)))
