# Source: https://github.com/tensorflow/tensorflow/issues/27120
# Reported: "tf.function-decorated function tried to create variables on non-first call"
#   when a Keras layer (and so its weights) is created inside the traced function.
# Family: TFF1xx (Python side effects)
# Expected: TFF105 family (variables created per trace). No existing rule flags a
#   Keras layer constructed in traced code; TFF105 only flags tf.Variable(...) itself.
# Observed (TensorFlow 2.21, Keras 3): the first call already raises ValueError
#   "tf.function only supports singleton tf.Variables created on the first call"
#   (the layer's weights are made while tracing, and tracing runs the body twice).
# symptom: raises ValueError "singleton tf.Variables"
import tensorflow as tf


@tf.function
def project(x):
    head = tf.keras.layers.Dense(1)  # expect: TFF105
    return head(x)


project(tf.ones([2, 3]))
