"""Forks at import; the child sleeps for ten minutes unless someone kills it."""

import os
import time
from pathlib import Path

import tensorflow as tf


def _fork_a_sleeper() -> int:
    child = os.fork()
    if child == 0:
        try:
            time.sleep(600)
        finally:
            os._exit(0)
    Path(__file__).with_name("fork_at_import.pid").write_text(str(child))
    return child


_CHILD = _fork_a_sleeper()


@tf.function
def step(x):
    print("step", x)
    return x
