# Source: https://github.com/tensorflow/tensorflow/issues/38561
# Reported: "Unwanted tf.function retracing when using variable-length inputs": each new
#   sequence length retraces; the answer suggests an input_signature with None dimensions.
# Family: TFF4xx (signatures and retracing)
# Expected: TFF405 on the call with arrays of a different length each iteration.
# Observed (TensorFlow 2.21): 6 sequences of different lengths, several traces (recorded below).
# symptom: stdout "traces: 6"
import numpy as np
import tensorflow as tf

embedding = tf.Variable(tf.random.normal([20, 4], seed=6))


@tf.function
def encode(tokens):
    return tf.reduce_mean(tf.gather(embedding, tokens), axis=0)


sequences = [np.arange(n) for n in (3, 5, 7, 9, 11, 13)]
for seq in sequences:
    encode(tf.constant(seq))  # expect: TFF405
print("traces:", encode.experimental_get_tracing_count())
