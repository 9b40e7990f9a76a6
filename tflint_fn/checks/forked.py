"""The checks shared with processes forked from this one (``--jobs``).

The children inherit the whole analysis by fork: summaries, parsed trees and
traces. Only their results cross back, pickled. The tasks are numbered and
every process takes the next free number, so a long function does not leave
the others idle. The first child starts with the one side task (a part of
the project checks). Whatever happens, the result is the one-process result:

- a child that fails (killed, an exception, a result that does not pickle)
  has its work done again here;
- an exception here (a statement LibCST cannot parse) is raised by running
  everything again in one process, in order, so the same error comes first.
"""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable
from typing import TypeVar

from tflint_fn.processes import can_fork, other_threads

Result = TypeVar("Result")
Side = TypeVar("Side")

# Below this many tasks, forking costs more than it saves (it copies the page tables of a large analysis).
PARALLEL_FROM = 64


def run_shared(
    count: int, task: Callable[[int], Result], side: Callable[[], Side], jobs: int,
) -> tuple[list[Result], Side]:
    """``[task(i) for i in range(count)]`` and ``side()``, in ``jobs`` processes when that pays."""
    if jobs < 2 or count < PARALLEL_FROM or not can_fork() or other_threads():
        return _in_order(count, task, side)
    import multiprocessing  # here: a small run never pays its import

    try:
        counter = multiprocessing.Value("q", 0)
    except OSError:  # no shared memory for the lock (a container without /dev/shm)
        return _in_order(count, task, side)

    def claim() -> int:
        with counter.get_lock():
            index = counter.value
            counter.value += 1
        return index

    children: list[tuple[int, int]] = []
    done: dict[int, Result] = {}
    try:
        for number in range(1, jobs):
            children.append(_fork(claim, count, task, side if number == 1 else None))
        index = claim()
        while index < count:
            done[index] = task(index)
            index = claim()
    except Exception:
        _stop(children)
        return _in_order(count, task, side)
    except BaseException:  # Ctrl-C: nothing is run again
        _stop(children)
        raise
    side_done = False
    side_result = None
    for pid, stream in children:
        received = _receive(pid, stream)
        if received is not None:
            child_side, results = received
            done.update(results)
            if child_side is not None:
                side_done, side_result = True, child_side[0]
    try:
        results = [done[index] if index in done else task(index) for index in range(count)]
        return results, side_result if side_done else side()
    except Exception:
        return _in_order(count, task, side)


def _in_order(count: int, task, side):
    results = [task(index) for index in range(count)]
    return results, side()


def _fork(claim, count: int, task, side) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_end)
        return pid, read_end
    # The child: it never returns, and leaves without the parent's exit handlers and buffers.
    os.close(read_end)
    status = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends the child quietly; the parent reports
        side_result = (side(),) if side is not None else None
        results = {}
        index = claim()
        while index < count:
            results[index] = task(index)
            index = claim()
        data = pickle.dumps((side_result, results), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_end, "wb") as stream:
            stream.write(data)
        status = 0
    finally:
        os._exit(status)


def _receive(pid: int, stream: int):
    """The child's (side result, results by index), or None if it failed."""
    chunks = []
    with os.fdopen(stream, "rb") as reader:
        while True:
            chunk = reader.read(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        return None
    try:
        return pickle.loads(b"".join(chunks))
    except Exception:  # a torn result: the work is done again here
        return None


def _stop(children: list[tuple[int, int]]) -> None:
    for pid, stream in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.close(stream)
        os.waitpid(pid, 0)
