# Source: https://github.com/tensorflow/tensorflow/issues/24557
# Reported: "Tensorflow autograph problem": a converted function takes `l = len(ys)` of a
#   batch with an unknown first dimension, loops `for i in range(l)` and appends rows to
#   Python lists (`nys.append(y)`) inside an `if` on a tensor, then stacks the lists (here a
#   tf.where stands in for that `if`).
# Family: TFF3xx (Python data structures and control flow)
# Expected: TFF301 on the append: `range(len(t))` of a tensor with an unknown length
#   is a graph loop, so the list is grown inside a tf.while_loop.
# Observed (TensorFlow 2.21): InaccessibleTensorError when the list is stacked (it holds
#   the loop body's tensor).
# symptom: raises InaccessibleTensorError "cannot be accessed"
import tensorflow as tf


@tf.function(input_signature=[tf.TensorSpec([None, 2]), tf.TensorSpec([None, 2])])
def prepare_for_cost(ys, ps):
    count = len(ys)
    kept = []
    for i in range(count):
        kept.append(tf.where(ps[i][1] > 0.9, ys[i], tf.constant([0.0, 1.0])))  # expect: TFF301
    return tf.stack(kept)


prepare_for_cost(tf.ones([3, 2]), tf.ones([3, 2]))
