# Source: https://github.com/tensorflow/tensorflow/issues/24726
# Reported: "creates a different concrete function for each python scalar value": calling
#   one tf.function with the Python numbers 1, 2 and 3 builds a function per value.
# Family: TFF4xx (signatures and retracing)
# Expected: TFF401 on the calls with a new Python literal (straight-line calls, not a loop).
# Observed (TensorFlow 2.21): 3 calls, 3 traces.
# symptom: stdout "traces: 3"
import tensorflow as tf


@tf.function
def scale(x, factor):
    return x * factor


x = tf.ones([2])
scale(x, 1)
scale(x, 2)  # expect: TFF401
scale(x, 3)  # expect: TFF401
print("traces:", scale.experimental_get_tracing_count())
