# Source: https://github.com/PwnerHarry/Stronger_GCN/issues/1
# Reported: `trainer` is called once per epoch in a for loop and builds its
#   tf.function-decorated `optimize_one_step` each time; "the function will create a new
#   graph every time".
# Family: TFF4xx (signatures and retracing)
# Expected: TFF402 on the tf.function(...) made inside the per-epoch function.
# Observed (TensorFlow 2.21): 6 epochs and the "triggered tf.function retracing" warning.
# symptom: warns "triggered tf.function retracing"
import tensorflow as tf

params = tf.Variable(tf.zeros([3]))
optimizer = tf.keras.optimizers.SGD(0.1)


def one_step(features):
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(params - features))
    optimizer.apply_gradients([(tape.gradient(loss, params), params)])
    return loss


def trainer(features):
    optimize_one_step = tf.function(one_step)  # expect: TFF402
    return optimize_one_step(features)


for epoch in range(6):
    trainer(tf.ones([3]))
