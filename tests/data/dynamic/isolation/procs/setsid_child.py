"""Starts a process in a new session and a double-forked daemon, at import."""

import os
import subprocess
import sys
import time
from pathlib import Path

import tensorflow as tf


def _new_session() -> int:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    Path(__file__).with_name("setsid_child.pid").write_text(str(child.pid))
    return child.pid


def _daemon() -> int:
    middle = os.fork()
    if middle == 0:
        try:
            os.setsid()
            daemon = os.fork()
            if daemon == 0:
                time.sleep(600)
            else:
                Path(__file__).with_name("daemon.pid").write_text(str(daemon))
        finally:
            os._exit(0)
    os.waitpid(middle, 0)
    return middle


_SESSION = _new_session()
_DAEMON = _daemon()


@tf.function
def step(x):
    print("step", x)
    return x
