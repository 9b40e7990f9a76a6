# Source: https://github.com/keras-team/keras/issues/19732
# Reported: "The .fit() method passes unsized batches to a custom loss function": a loss
#   dividing by `x.shape[0]` fails, since the batch size is None when the dataset size is
#   not a multiple of the batch size.
# Family: TFF2xx (native Python/NumPy operations on tensors)
# Expected: TFF206 on the division by the static batch dimension.
# Observed (TensorFlow 2.21, Keras 3.15): fit raises ValueError "None values not supported."
#   (the division by None is converted to a tensor op).
# symptom: raises ValueError "None values not supported"
import numpy as np
import tensorflow as tf


def summed_loss(y_true, y_pred):
    total = tf.reduce_sum(tf.square(y_true - y_pred), axis=0)
    return total / y_true.shape[0]  # expect: TFF206


model = tf.keras.Sequential([tf.keras.Input((8,)), tf.keras.layers.Dense(4)])
model.compile(optimizer="adam", loss=summed_loss)
model.fit(np.full((100, 8), 0.1, "float32"), np.full((100, 4), 0.2, "float32"),
          batch_size=30, epochs=1, verbose=0)
