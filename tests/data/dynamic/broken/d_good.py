"""A module that works: its finding must still be confirmed after the others failed."""

import os

import tensorflow as tf


@tf.function
def step(x):
    print("step", x)
    return x * 2


if __name__ == "__main__":
    os._exit(7)  # importing by module name must not run this
