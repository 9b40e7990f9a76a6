# Source: https://github.com/N3PDF/pdfflow/pull/34
# Reported: (review) "decorating them only with @tf.function is not enough to avoid
#   retracing when called with input tensors with different shape": the integrator calls
#   the tf.function with a different number of events each iteration; add an input_signature.
# Family: TFF4xx (signatures and retracing)
# Expected: TFF405 on the call whose argument's shape changes every iteration.
# Observed (TensorFlow 2.21): 4 iterations, several traces (recorded below).
# symptom: stdout "traces: 4"
import tensorflow as tf


@tf.function
def single_top(momenta):
    energy = tf.reduce_sum(tf.square(momenta), axis=-1)
    return tf.reduce_mean(tf.sqrt(energy))


for n_events in (100, 200, 300, 400):
    single_top(tf.random.uniform([n_events, 4], seed=7))  # expect: TFF405
print("traces:", single_top.experimental_get_tracing_count())
