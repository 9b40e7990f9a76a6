# Source: https://github.com/NatLabRockies/sup3r/pull/109
# Reported: "Avoid unnecessary retracing": `calc_loss` is a tf.function whose behaviour
#   depends on Python flags (train the generator, the discriminator, or both), so it kept
#   retracing ("N out of the last 18 calls ... triggered tf.function retracing").
# Family: TFF4xx (signatures and retracing)
# Expected: TFF401 on the calls with other Python bool flags.
# Observed (TensorFlow 2.21): 3 flag combinations, 3 traces.
# symptom: stdout "traces: 3"
import tensorflow as tf


@tf.function
def calc_loss(high_res, train_gen, train_disc):
    loss = tf.reduce_mean(tf.square(high_res))
    if train_gen:
        loss += 1.0
    if train_disc:
        loss += 2.0
    return loss


batch = tf.ones([2, 2])
for epoch in range(2):
    calc_loss(batch, True, False)
    calc_loss(batch, False, True)  # expect: TFF401
    calc_loss(batch, True, True)  # expect: TFF401
print("traces:", calc_loss.experimental_get_tracing_count())
