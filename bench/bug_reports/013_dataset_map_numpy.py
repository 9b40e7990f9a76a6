# Source: https://github.com/tensorflow/tensorflow/issues/36979
# Reported: "AttributeError: 'Tensor' object has no attribute 'numpy'" inside a function
#   given to `Dataset.map` (labelled comp:data), although eager execution is on.
# Family: TFF2xx (native Python/NumPy operations on tensors)
# Expected: TFF201 on the `.numpy()` call in the map function.
# Observed (TensorFlow 2.21): `map` raises AttributeError ... 'numpy' while tracing.
# symptom: raises AttributeError "numpy"
import tensorflow as tf


def decode(line):
    text = line.numpy().decode("utf-8")  # expect: TFF201
    return tf.constant(len(text))


lines = tf.data.Dataset.from_tensor_slices(["a b", "c d e"])
lengths = lines.map(decode)
print(list(lengths))
