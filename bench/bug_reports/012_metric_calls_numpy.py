# Source: https://github.com/tensorflow/tensorflow/issues/39817
# Reported: a custom metric given to `model.compile(metrics=[...])` ends with
#   `return dcount.numpy()` and fit fails: "AttributeError: 'Tensor' object has no attribute 'numpy'".
# Family: TFF2xx (native Python/NumPy operations on tensors)
# Expected: TFF201 on the `.numpy()` call (the metric is traced by fit's train function).
# Observed (TensorFlow 2.21, Keras 3.15): fit raises AttributeError ... 'numpy'.
# symptom: raises AttributeError "numpy"
import numpy as np
import tensorflow as tf


def top_overlap(y_true, y_pred):
    true_rank = tf.argsort(y_true, axis=-1, direction="DESCENDING")[:, :2]
    pred_rank = tf.argsort(y_pred, axis=-1, direction="DESCENDING")[:, :2]
    hits = tf.reduce_sum(tf.cast(tf.equal(true_rank, pred_rank), tf.float32))
    return hits.numpy()  # expect: TFF201


model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3)])
model.compile(optimizer="sgd", loss="mse", metrics=[top_overlap])
model.fit(np.ones((8, 4), "float32"), np.ones((8, 3), "float32"), epochs=1, verbose=0)
