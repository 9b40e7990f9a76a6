# Source: https://github.com/tensorflow/tensorflow/issues/31362
# Reported: "Non-tensorflow code gets executed only on the first run of tf.function":
#   an object passed in has `o.value += 1` in the body; after 5 calls the value is 1.
# Family: TFF1xx (Python side effects)
# Expected: TFF103 on the attribute update of the parameter object.
# Observed (TensorFlow 2.21): after 5 calls the counter is 1.
# symptom: stdout "counter after 5 calls: 1"
import tensorflow as tf


class Tracker:
    def __init__(self):
        self.value = 0


tracker = Tracker()


@tf.function
def work(x, state):
    state.value += 1  # expect: TFF103
    return x * 2.0


for i in range(5):
    work(tf.constant(float(i)), tracker)
print("counter after 5 calls:", tracker.value)
