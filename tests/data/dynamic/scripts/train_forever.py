"""A training script: its top level never ends (imported whole, it times out)."""

import tensorflow as tf

learning_rate = 0.5


@tf.function
def train_step(x):
    print("in train_step", x)  # TFF101: runs once per trace
    return x * learning_rate


x = tf.ones([4])
for step in range(10**9):
    train_step(x)

while True:
    train_step(x)
