"""Never finishes importing."""

import time

import tensorflow as tf


def _forever() -> None:
    while True:
        time.sleep(1)


_NEVER = _forever()


@tf.function
def step(x):
    print("step", x)
    return x
