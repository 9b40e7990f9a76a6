# Source: https://github.com/tensorflow/tensorflow/issues/47139
# Reported: "InaccessibleTensorError for tensor defined in same scope": two nested `for`
#   loops over tensors made in the function append cosine similarities to a Python list.
# Family: TFF3xx (Python data structures and control flow)
# Expected: TFF301 on the append in the graph loop.
# Observed (TensorFlow 2.21): InaccessibleTensorError ... defined in another function or code block.
# symptom: raises InaccessibleTensorError "cannot be accessed"
import tensorflow as tf


@tf.function
def similarities():
    queries = tf.convert_to_tensor([[1.0, 1.0, 1.0], [1.0, 3.0, 1.0]])
    keys = tf.convert_to_tensor([[1.0, 1.0, 1.0]])
    scores = []
    for k in keys:
        for q in queries:
            cosine = tf.reduce_sum(q * k) / (tf.norm(q) * tf.norm(k))
            scores.append(-cosine)  # expect: TFF301
    return tf.stack(scores)


similarities()
