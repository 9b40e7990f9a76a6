# Source: https://github.com/tensorflow/tensorflow/issues/44059
# Reported: "NotImplementedError: Cannot convert a symbolic Tensor (args_0:0) to a numpy
#   array" from `dataset.map(augmentation)` where the augmentation uses NumPy.
# Family: TFF2xx (native Python/NumPy operations on tensors)
# Expected: TFF203 on the NumPy call in the map function.
# Observed (TensorFlow 2.21): map raises NotImplementedError Cannot convert a symbolic tf.Tensor.
# symptom: raises NotImplementedError "Cannot convert a symbolic"
import numpy as np
import tensorflow as tf


def augmentation(image, mask):
    flipped = np.fliplr(image)  # expect: TFF203
    return flipped, mask


pairs = tf.data.Dataset.from_tensor_slices((tf.ones([2, 4, 4]), tf.zeros([2, 4, 4])))
augmented = pairs.map(augmentation, num_parallel_calls=2)
