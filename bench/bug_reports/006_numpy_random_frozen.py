# Source: https://github.com/google-research/seed_rl/issues/52
# Reported: (second comment) `i = np.random.random()` inside the tf.function prints the
#   same "random" number on every call.
# Family: TFF1xx (Python side effects)
# Expected: TFF104 on the NumPy RNG call.
# Observed (TensorFlow 2.21): 4 calls return one distinct value.
# symptom: stdout "distinct values over 4 calls: 1"
import numpy as np
import tensorflow as tf


@tf.function
def noisy(x):
    jitter = np.random.random()  # expect: TFF104
    return x + jitter


values = {float(noisy(tf.constant(0.0))) for _ in range(4)}
print("distinct values over 4 calls:", len(values))
