# Source: https://github.com/solaris33/deep-learning-tensorflow-book-code/issues/8
# Reported: the Python int `epoch` of `for epoch in range(...)` is passed to the
#   tf.function `train_step`; "every time the value changes, a new graph will be generated,
#   and that can trigger tf.function retracing warning".
# Family: TFF4xx (signatures and retracing)
# Expected: TFF401 on the call with the loop's epoch number.
# Observed (TensorFlow 2.21): 4 epochs, 5 traces: one per epoch number, plus one more on
#   the first call (the optimizer creates its variables then, so that call traces twice).
# symptom: stdout "traces: 5"
import tensorflow as tf

generator = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(4)])
optimizer = tf.keras.optimizers.Adam(1e-3)


@tf.function
def train_step(inputs, target, epoch):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.abs(generator(inputs) - target))
    grads = tape.gradient(loss, generator.trainable_variables)
    optimizer.apply_gradients(zip(grads, generator.trainable_variables))
    return loss


batches = tf.data.Dataset.from_tensor_slices((tf.ones([4, 4]), tf.zeros([4, 4]))).batch(4)
for epoch in range(4):
    for inputs, target in batches:
        train_step(inputs, target, epoch)  # expect: TFF401
print("traces:", train_step.experimental_get_tracing_count())
