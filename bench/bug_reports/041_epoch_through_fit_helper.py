# Source: https://github.com/spmallick/learnopencv/issues/806
# Reported: "Python type argument `epoch` is passed to tf.function decorated function
#   `train_step` instead of tensors. As there is a for loop, every time the value changes, a
#   new graph will be generated".
# Family: TFF4xx (signatures and retracing)
# Expected: TFF401 on the call with the epoch number, inside the fit helper's loop.
# Observed (TensorFlow 2.21): 3 epochs, 3 traces.
# symptom: stdout "traces: 3"
import tensorflow as tf

kernel = tf.Variable(tf.ones([2, 2]))


@tf.function
def train_step(image, epoch):
    kernel.assign(kernel * 0.99)
    return tf.reduce_sum(tf.matmul(image, kernel))


def fit(images, epochs):
    for epoch in range(epochs):
        for image in images:
            train_step(image, epoch)  # expect: TFF401


fit([tf.ones([2, 2]), tf.zeros([2, 2])], epochs=3)
print("traces:", train_step.experimental_get_tracing_count())
