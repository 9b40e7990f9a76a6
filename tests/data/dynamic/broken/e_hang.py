"""Never finishes importing."""

import time

import tensorflow as tf


def _forever() -> None:
    while True:
        time.sleep(1)


# An assignment, so that it runs even when a script's top-level loops are deferred.
_NEVER = _forever()


@tf.function
def step(x):
    print("step", x)
    return x
