# Source: https://github.com/keras-team/keras/issues/15360
# Reported: "how use append in tensorflow loop without python collections?": a custom
#   layer's `call` loops `for batch in tf.range(batch_size)` and appends each row's result
#   to a Python list, then `tf.stack`s it; the append is where it fails.
# Family: TFF2xx (native Python operations on tensors). In the thread (Keras 2) it failed at
#   the append; with Keras 3 a layer's `call` is not converted by AutoGraph even inside a
#   tf.function, so the `for` over `tf.range` is already Python iteration over a tensor.
# Expected: TFF207 on the `for` over the tensor where AutoGraph is off.
# Observed (TensorFlow 2.21, Keras 3.15): OperatorNotAllowedInGraphError "Iterating over a
#   symbolic tf.Tensor is not allowed" from the `for` line.
# symptom: raises OperatorNotAllowedInGraphError "Iterating over a symbolic"
import tensorflow as tf


class RowOuter(tf.keras.layers.Layer):
    def call(self, inputs):
        rows = []
        batch_size = tf.shape(inputs)[0]
        for b in tf.range(batch_size):  # expect: TFF207
            outer = tf.reshape(inputs[b, 0, :, None] * inputs[b, 1, None, :], [1, -1])
            rows.append(outer)
        return tf.concat(rows, axis=0)


layer = RowOuter()


@tf.function
def predict_step(x):
    return layer(x)


predict_step(tf.ones([4, 2, 3]))
