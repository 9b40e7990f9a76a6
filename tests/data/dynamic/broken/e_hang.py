"""Never finishes importing."""

import time

import tensorflow as tf

while True:
    time.sleep(1)


@tf.function
def step(x):
    print("step", x)
    return x
