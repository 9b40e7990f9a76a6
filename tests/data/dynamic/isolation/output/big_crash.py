"""Writes 200 MB to stdout at import, then exits without a word to the worker."""

import os

import tensorflow as tf


def _flood_then_exit() -> None:
    block = (b"x" * 1023 + b"\n") * 1024  # 1 MiB
    for _ in range(200):
        os.write(1, block)
    os.write(2, b"the last words of big_crash\n")
    os._exit(3)


_NEVER = _flood_then_exit()


@tf.function
def step(x):
    print("step", x)
    return x
