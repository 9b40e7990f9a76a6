# Source: https://github.com/yerkojahve/Meta-Pseudo-label/issues/1
# Reported: the Python floats `learning_rate`, `temperature` and `cross_entropy_coef`
#   change inside a `while` loop and are passed to the tf.function `train_step`, so every
#   new value builds a new graph.
# Family: TFF4xx (signatures and retracing)
# Expected: TFF401 on the call with the decayed Python floats.
# Observed (TensorFlow 2.21): 4 iterations, 4 traces.
# symptom: stdout "traces: 4"
import tensorflow as tf

state = tf.Variable(tf.zeros([3]))


@tf.function
def train_step(batch, learning_rate, temperature):
    update = tf.nn.softmax(batch / temperature) * learning_rate
    state.assign_sub(update)
    return tf.reduce_sum(state)


learning_rate = 0.1
temperature = 1.0
step = 0
while step < 4:
    train_step(tf.ones([3]), learning_rate, temperature)  # expect: TFF401
    learning_rate *= 0.5
    temperature = max(0.1, temperature - 0.2)
    step += 1
print("traces:", train_step.experimental_get_tracing_count())
