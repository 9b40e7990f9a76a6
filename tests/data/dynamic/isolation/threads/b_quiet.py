"""Checked after a_chatter: its evidence must show only its own print."""

import time

import tensorflow as tf


@tf.function
def step(x):
    time.sleep(0.2)  # long enough for a chattering thread to print in between
    print("quiet", x)
    return x
