# Source: https://github.com/aymericdamien/TensorFlow-Examples/issues/40
# Reported: inside a @tf.function, `np.log(...)` of values built from the tensor arguments
#   raises "NotImplementedError: Cannot convert a symbolic Tensor (truediv:0) to a numpy array".
# Family: TFF2xx (native Python/NumPy operations on tensors)
# Expected: TFF203 on the NumPy call (its argument is a tensor: the caller passes tensors).
# Observed (TensorFlow 2.21): NotImplementedError Cannot convert a symbolic tf.Tensor ... to a numpy array.
# symptom: raises NotImplementedError "Cannot convert a symbolic"
import numpy as np
import tensorflow as tf

z = tf.sigmoid(tf.random.normal([16], seed=2))
eps = tf.random.normal([16], stddev=0.2, seed=3)


@tf.function
def leisure(z, eps):
    scaled = tf.exp(eps) / 0.5
    return 1.5 * np.log(scaled) + np.log(z)  # expect: TFF203


leisure(z, eps)
