"""A script inside a package, trained with Keras's fit at its top level."""

import numpy as np
import tensorflow as tf

from jobs import settings


class Scale(tf.keras.layers.Layer):
    def call(self, inputs):
        print("in Scale", inputs)  # TFF101
        return inputs * settings.FACTOR


model = tf.keras.Sequential([tf.keras.Input((16,)), Scale()])
model.compile(optimizer="sgd", loss="mse")
history = model.fit(np.ones((64, 16)), np.ones((64, 16)), epochs=10**9, verbose=0)
