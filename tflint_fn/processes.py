"""When the analysis may fork processes that do not exec (``--jobs``)."""

from __future__ import annotations

import os
import sys


def can_fork() -> bool:
    """POSIX fork without exec; not on macOS, where it is unsafe (Python itself spawns there)."""
    return hasattr(os, "fork") and sys.platform != "darwin"


def other_threads() -> bool:
    """A thread besides this one (the language server's, --dynamic's readers): a lock it
    holds would stay held in the child forever, so nothing is forked."""
    import threading

    return threading.active_count() > 1
