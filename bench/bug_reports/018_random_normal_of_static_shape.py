# Source: https://github.com/tensorflow/tensorflow/issues/36991
# Reported: "How to get integer batch size in Keras model.fit()": a custom layer draws
#   `tf.random.normal(x.shape)` for the reparametrization trick; fit fails with
#   "ValueError: None values not supported" because x.shape[0] is None.
# Family: TFF2xx (native Python/NumPy operations on tensors)
# Expected: TFF206 on the shape taken from the static shape of the batch input.
# Observed (TensorFlow 2.21, Keras 3.15): building the model already fails, with
#   ValueError "Cannot convert a partially known TensorShape (None, 2) to a Tensor"
#   (Keras calls `call` symbolically with an unknown batch dimension).
# symptom: raises ValueError "partially known TensorShape"
import numpy as np
import tensorflow as tf


class Sampling(tf.keras.layers.Layer):
    def call(self, mean):
        noise = tf.random.normal(mean.shape)  # expect: TFF206
        return mean + noise


model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2), Sampling()])
model.compile(optimizer="sgd", loss="mse")
model.fit(np.ones((10, 3), "float32"), np.zeros((10, 2), "float32"), batch_size=4,
          epochs=1, verbose=0)
