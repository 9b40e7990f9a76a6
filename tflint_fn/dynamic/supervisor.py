"""Runs one worker and leaves no process behind: ``python supervisor.py RUNNER_PID COMMAND...``.

Started by ``runner`` (in a session of its own), it starts the worker in a
process group of its own and waits for it. When the worker ends, or when the
runner asks (SIGTERM) or dies (Linux: a parent-death signal), the supervisor
kills the worker's process group, then every process left below it: on Linux
it is a child subreaper (``prctl(PR_SET_CHILD_SUBREAPER)``), so orphans that
left the group (``setsid()``, double forks) are re-parented to it instead of
to init, and it kills and reaps them until it has no child left. Then it
ends the way the worker ended (the same exit code, or the same signal), so
the runner reads the worker's death as before.

It imports only the standard library and is run by file path, not with
``-m``: the user's folder (its working directory) is not on its sys.path.
"""

from __future__ import annotations

import os
import resource
import signal
import sys

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, ctypes.c_ulong(value), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)) == 0
    except (OSError, AttributeError):
        return False


def children() -> list[int]:
    """This process's children (alive or zombie), from /proc; [] where there is no /proc."""
    me = os.getpid()
    try:
        with open(f"/proc/{me}/task/{me}/children", encoding="ascii") as handle:
            return [int(pid) for pid in handle.read().split()]
    except (OSError, ValueError):
        pass
    found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for name in entries:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 1 and fields[1] == str(me).encode():
            found.append(int(name))
    return found


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass


def reap_all() -> None:
    """Kill every child (and, as a subreaper, every orphan re-parented here) until none is left."""
    while True:
        for pid in children():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return
        except InterruptedError:  # pragma: no cover (retried by Python)
            continue


def main(argv: list[str]) -> int:
    runner = int(argv[1])
    command = argv[2:]
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash must not leave a core file behind
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    worker: list[int] = []
    stopping: list[bool] = []

    def stop(signum, frame) -> None:
        stopping.append(True)
        for pid in worker:
            kill_group(pid)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runner's to handle
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != runner:  # the runner died before the line above
        return 1
    pid = os.posix_spawnp(command[0], command, os.environ, setpgroup=0,
                          setsigdef=(signal.SIGTERM, signal.SIGHUP, signal.SIGINT))
    worker.append(pid)
    if stopping:
        kill_group(pid)
    if hasattr(os, "waitid"):
        # Wait for the end without reaping: while the worker is a zombie its pid
        # (the group's id) cannot be given to another process, so killpg is safe.
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        kill_group(pid)  # children forked by the worker, still in its group
        _, status = os.waitpid(pid, 0)
    else:  # pragma: no cover
        _, status = os.waitpid(pid, 0)
        kill_group(pid)
    reap_all()
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        return 128 - code
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
