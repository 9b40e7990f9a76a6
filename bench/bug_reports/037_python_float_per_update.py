# Source: https://github.com/keiohta/tf2rl/pull/100
# Reported: "Reduce tf.function retracing": arguments of the graph functions were plain
#   Python objects, so each new value retraced; the fix wraps them in tf.constant.
# Family: TFF4xx (signatures and retracing)
# Expected: TFF401 on the call with a Python float computed from the loop index.
# Observed (TensorFlow 2.21): 5 updates, 5 traces.
# symptom: stdout "traces: 5"
import tensorflow as tf

q_values = tf.Variable(tf.zeros([4]))


@tf.function
def update(rewards, weight):
    q_values.assign_add(weight * rewards)
    return tf.reduce_mean(q_values)


total = 5
for t in range(total):
    update(tf.ones([4]), float(t) / total)  # expect: TFF401
print("traces:", update.experimental_get_tracing_count())
