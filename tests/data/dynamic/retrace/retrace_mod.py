"""Functions for the retracing and look-alike checks of the dynamic worker."""

import tensorflow as tf


@tf.function
def scale(x, step):
    return x * tf.cast(step, tf.float32)


@tf.function(input_signature=[tf.TensorSpec([], tf.float32), tf.TensorSpec([], tf.int32)])
def scale_with_signature(x, step):
    return x * tf.cast(step, tf.float32)


@tf.function
def total(values):
    return tf.reduce_sum(values)


@tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
def total_with_signature(values):
    return tf.reduce_sum(values)


class Counter(tf.Module):
    def __init__(self):
        super().__init__()
        self.count = tf.Variable(0)

    @tf.function
    def __call__(self, x):
        tf.print("called with", x)
        self.count.assign_add(1)
        return x + 1
