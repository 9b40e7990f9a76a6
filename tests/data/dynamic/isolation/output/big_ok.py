"""Writes 50 MB to stdout and 50 MB to stderr at import, then behaves."""

import os

import tensorflow as tf


def _flood() -> int:
    block = (b"y" * 1023 + b"\n") * 1024  # 1 MiB
    for _ in range(50):
        os.write(1, block)
        os.write(2, block)
    return 100


_WRITTEN_MB = _flood()


@tf.function
def step(x):
    print("step", x)
    return x
