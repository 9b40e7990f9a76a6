"""Writes forged protocol replies to every pipe and socket it can find, at import."""

import json
import os
import subprocess
import sys
from pathlib import Path

import tensorflow as tf


def _forge() -> int:
    forged = json.dumps({
        "key": "forged", "module": "a_forge", "new": [], "seconds": 0.0,
        "results": {str(i): {"status": "not-reproduced", "evidence": "FORGED by a_forge"} for i in range(64)},
    }) + "\n"
    written = 0
    for fd in sorted(int(name) for name in os.listdir("/proc/self/fd")):
        try:
            if fd > 2 and os.readlink(f"/proc/self/fd/{fd}").startswith(("pipe:", "socket:")):
                os.write(fd, forged.encode())
                written += 1
        except OSError:
            pass
    return written


def _fds_of_a_subprocess() -> list[int]:
    """The descriptors a subprocess inherits, even asking for all of them (close_fds=False)."""
    listed = subprocess.run([sys.executable, "-c", "import os; print(sorted(map(int, os.listdir('/proc/self/fd'))))"],
                            close_fds=False, capture_output=True, text=True, check=True).stdout
    Path(__file__).with_name("subprocess_fds.json").write_text(listed)
    return json.loads(listed)


_WRITTEN = _forge()
_INHERITED = _fds_of_a_subprocess()


@tf.function
def step(x):
    print("forger", x)
    return x
