# Source: https://github.com/hutec/UncertaintyNN/issues/2
# Reported: `logits, class_prob = head  # unpack` where `head` is one tensor raises
#   "Tensor objects are not iterable when eager execution is not enabled".
# Family: TFF2xx (native Python/NumPy operations on tensors)
# Expected: TFF207 on the tuple unpacking of a tensor.
# Observed (TensorFlow 2.21): OperatorNotAllowedInGraphError "Iterating over a symbolic
#   tf.Tensor is not allowed".
# symptom: raises OperatorNotAllowedInGraphError "Iterating over a symbolic"
import tensorflow as tf


@tf.function
def split_head(features):
    head = tf.stack([features * 2.0, tf.nn.softmax(features)])
    logits, class_prob = head  # expect: TFF207
    return logits + class_prob


split_head(tf.ones([3]))
