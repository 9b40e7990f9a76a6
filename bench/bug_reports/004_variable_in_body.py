# Source: https://github.com/tensorflow/tensorflow/issues/26812
# Reported: "Can't declare tf.Variable in @tf.function decorated function": a function that
#   works eagerly fails once decorated, with a message about a "non-first call".
# Family: TFF1xx (Python side effects)
# Expected: TFF105 on the unguarded tf.Variable.
# Observed (TensorFlow 2.21): ValueError "tf.function only supports singleton tf.Variables
#   created on the first call" on the first call.
# symptom: raises ValueError "singleton tf.Variables"
import tensorflow as tf


@tf.function
def affine():
    a = tf.constant([[2.0, 1.0], [0.0, 3.0]])
    eye = tf.eye(2)
    bias = tf.Variable(5.0)  # expect: TFF105
    return tf.matmul(a, eye) + bias


print(affine())
