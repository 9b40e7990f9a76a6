# Source: https://github.com/tensorflow/tensorflow/issues/58993
# Reported: "NotImplementedError: Cannot convert a symbolic tf.Tensor (strided_slice:0) to a
#   numpy array" for a signature-typed tf.function that collects `features[i]` in a Python
#   list and passes `np.array(...)` of it to a NumPy-based library.
# Family: TFF2xx (native Python/NumPy operations on tensors)
# Expected: TFF203 on `np.array` of the list of tensors built in the loop.
# Observed (TensorFlow 2.21): NotImplementedError Cannot convert a symbolic tf.Tensor ... to a numpy array.
# symptom: raises NotImplementedError "Cannot convert a symbolic"
import numpy as np
import tensorflow as tf


@tf.function(input_signature=[tf.TensorSpec(shape=[6], dtype=tf.float32)])
def moving_average(features):
    window = [0.0] * 6
    for i in range(6):
        window[i] = features[i]
    series = np.array(window).astype("float64")  # expect: TFF203
    return tf.constant(np.convolve(series, [0.5, 0.5], "valid"))


moving_average(tf.range(6.0))
