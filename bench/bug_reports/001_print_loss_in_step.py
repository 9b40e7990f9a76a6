# Source: https://github.com/YosefLab/epitome/issues/51
# Reported: "Loss is not printed because print statement is in tf.function":
#   the log showed `Tensor("Mean_3:0", shape=(), dtype=float32)` instead of numbers.
# Family: TFF1xx (Python side effects)
# Expected: TFF101 on the `print` of the loss.
# Observed (TensorFlow 2.21): 3 calls print one line, showing Tensor("Mean:0", ...), not a value.
# symptom: stdout "Tensor("
import tensorflow as tf

weights = tf.Variable([0.5, -0.25])


@tf.function
def train_step(features, targets):
    prediction = tf.reduce_sum(weights * features, axis=1)
    loss = tf.reduce_mean(tf.square(prediction - targets))
    print("step loss", loss)  # expect: TFF101
    return loss


batch = tf.ones([4, 2])
labels = tf.zeros([4])
for _ in range(3):
    train_step(batch, labels)
