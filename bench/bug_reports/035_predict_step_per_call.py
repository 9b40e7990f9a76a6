# Source: https://github.com/YosefLab/epitome/issues/43
# Reported: "Extra TF function retracing": warnings "9 out of the last 9 calls to
#   <function VariationalPeakModel.run_predictions.<locals>.predict_step> triggered
#   tf.function retracing": run_predictions defines its tf.function each time it runs.
# Family: TFF4xx (signatures and retracing)
# Expected: TFF402 on the nested @tf.function of the method called in a loop.
# Observed (TensorFlow 2.21): the "triggered tf.function retracing" warning.
# symptom: warns "triggered tf.function retracing"
import tensorflow as tf


class PeakModel:
    def __init__(self):
        self.net = tf.keras.Sequential([tf.keras.Input((5,)), tf.keras.layers.Dense(1)])

    def run_predictions(self, batch):
        @tf.function  # expect: TFF402
        def predict_step(x):  # expect: TFF402
            return tf.sigmoid(self.net(x))

        return predict_step(batch)


model = PeakModel()
for chunk in range(6):
    model.run_predictions(tf.ones([2, 5]))
