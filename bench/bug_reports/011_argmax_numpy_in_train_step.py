# Source: https://github.com/tensorflow/tensorflow/issues/31439
# Reported: `tf.math.argmax(predictions).numpy()` inside a decorated train step (to print
#   the predicted id) raises "AttributeError: 'Tensor' object has no attribute 'numpy'".
# Family: TFF2xx (native Python/NumPy operations on tensors)
# Expected: TFF201 on the `.numpy()` call.
# Observed (TensorFlow 2.21): AttributeError 'SymbolicTensor' object has no attribute 'numpy'.
# symptom: raises AttributeError "numpy"
import tensorflow as tf

kernel = tf.Variable(tf.random.normal([3, 5], seed=1))
optimizer = tf.keras.optimizers.SGD(0.1)


@tf.function
def train_step(inputs, target):
    with tf.GradientTape() as tape:
        logits = tf.matmul(inputs, kernel)
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=logits))
    optimizer.apply_gradients(zip(tape.gradient(loss, [kernel]), [kernel]))
    predicted_id = tf.math.argmax(logits[0]).numpy()  # expect: TFF201
    return loss, predicted_id


train_step(tf.ones([2, 3]), tf.constant([1, 2]))
