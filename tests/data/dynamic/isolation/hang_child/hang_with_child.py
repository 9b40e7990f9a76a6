"""Starts a process in a new session, then never finishes importing."""

import subprocess
import sys
import time
from pathlib import Path

import tensorflow as tf


def _start_then_hang() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    Path(__file__).with_name("hang_with_child.pid").write_text(str(child.pid))
    while True:
        time.sleep(1)


_NEVER = _start_then_hang()


@tf.function
def step(x):
    print("step", x)
    return x
