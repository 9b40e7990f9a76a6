# Source: https://github.com/google/qhbm-library/issues/246
# Reported: `train_step` is called in a for loop and defines (and calls) a @tf.function
#   `train_inner_step` inside itself, so each call creates a new graph.
# Family: TFF4xx (signatures and retracing)
# Expected: TFF402 on the nested @tf.function definition.
# Observed (TensorFlow 2.21): 6 steps, and TensorFlow warns that calls "triggered
#   tf.function retracing" (each call makes a new function that traces again).
# symptom: warns "triggered tf.function retracing"
import tensorflow as tf

weights = tf.Variable(tf.ones([2]))


def train_step(batch):
    @tf.function  # expect: TFF402
    def train_inner_step(b):  # expect: TFF402
        weights.assign_sub(0.01 * b)
        return tf.reduce_sum(weights)

    return train_inner_step(batch)


for step in range(6):
    train_step(tf.ones([2]))
