# Source: https://github.com/tensorflow/tensorflow/issues/57195
# Reported: "AttributeError: 'Tensor' object has no attribute 'numpy'" for
#   `return (x + y).numpy()` in a @tf.function; "How can I get an array from this code?"
# Family: TFF2xx (native Python/NumPy operations on tensors)
# Expected: TFF201 on the `.numpy()` call.
# Observed (TensorFlow 2.21): AttributeError 'SymbolicTensor' object has no attribute 'numpy'.
# symptom: raises AttributeError "numpy"
import tensorflow as tf

left = tf.ones([1])
right = tf.ones([1])


@tf.function
def add_as_array(a, b):
    return (a + b).numpy()  # expect: TFF201


add_as_array(left, right)
