# Source: https://github.com/tensorflow/tensorflow/issues/34025
# Reported: "Understanding warning '5 out of the last 5 calls to <function XXX> triggered
#   tf.function retracing'": one cause discussed there is building and predicting with a
#   new model in a loop, so Keras makes a new predict function for every model.
# Family: TFF4xx (signatures and retracing)
# Expected: TFF402 family (a new traced function per iteration); no existing rule covers a
#   Keras model rebuilt in the loop around predict.
# Observed (TensorFlow 2.21, Keras 3.15): 6 folds and the "triggered tf.function retracing" warning.
# symptom: warns "triggered tf.function retracing"
import numpy as np
import tensorflow as tf


def build_model():
    return tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])


features = np.ones((4, 3), "float32")
for fold in range(6):
    model = build_model()  # expect: TFF402
    model.predict(features, verbose=0)  # expect: TFF402
