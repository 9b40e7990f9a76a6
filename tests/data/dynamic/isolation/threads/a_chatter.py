"""Starts a thread at import that prints forever, into whatever stdout is at the time."""

import threading
import time

import tensorflow as tf


def _chatter() -> None:
    while True:
        print("CHATTER from a_chatter")
        time.sleep(0.005)


def _start() -> threading.Thread:
    thread = threading.Thread(target=_chatter, name="chatter")  # not a daemon: Python would wait for it
    thread.start()
    return thread


_THREAD = _start()


@tf.function
def step(x):
    print("chatty", x)
    return x
