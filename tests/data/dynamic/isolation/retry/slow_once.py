"""Hangs the first time it is imported (leaving a marker), imports fine the second time."""

import time
from pathlib import Path

import tensorflow as tf


def _hang_the_first_time() -> float:
    marker = Path(__file__).with_name("slow_once.started")
    if not marker.exists():
        marker.write_text("first attempt\n")
        while True:
            time.sleep(1)
    return 1.0


SCALE = _hang_the_first_time()


@tf.function
def step(x):
    print("step", x)
    return x * SCALE
