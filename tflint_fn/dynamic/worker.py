"""The dynamic worker: a subprocess that imports TensorFlow and the user's code.

Started by ``runner`` (under ``supervisor``) as ``python -m
tflint_fn.dynamic.worker MEMORY_MB``. It reads one job per line on stdin (a
module, its traced roots and the findings about them), traces every root with
real TensorFlow (``job``), and writes one result per line on the protocol
stream (a job that carries a module's ``fixed`` text proves its fixes
instead: ``fixproof``). Anything the user's code prints outside a capture lands on stderr,
whose tail the runner keeps for crash reports.

The protocol streams are moved off descriptors 0 and 1 to close-on-exec
copies at a random number (user subprocesses never inherit them), and every
reply starts with the random token the runner sent with its request (the
first line, before any user code runs, and then every job): a line the
user's code writes to the stream carries no token, and the runner ignores it.

Only the standard library, TensorFlow and the sibling ``tflint_fn.dynamic``
modules are imported here: the worker must not depend on the linter's own
modules. TensorFlow is imported in ``main``, after the memory limit is set.
"""

from __future__ import annotations

import json
import logging
import os
import random
import sys
import threading
import time

from tflint_fn.dynamic.fixproof import prove_fixes
from tflint_fn.dynamic.inputs import ExampleError, load_examples
from tflint_fn.dynamic.job import Job
from tflint_fn.dynamic.loader import Loader
from tflint_fn.dynamic.standins import install_once_helper


def _limit_memory(megabytes: int) -> None:
    import resource

    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash must not leave a core file behind


def _private_copy(descriptor: int) -> int:
    """A close-on-exec copy of ``descriptor`` at a random number, then ``descriptor`` is free."""
    import fcntl
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    top = min(soft if soft > 0 else 1024, 4096)
    try:
        copy = fcntl.fcntl(descriptor, fcntl.F_DUPFD_CLOEXEC, random.SystemRandom().randrange(16, max(17, top - 64)))
    except (OSError, ValueError):
        copy = os.dup(descriptor)  # non-inheritable too
    return copy


class _Protocol:
    """The private channel to the runner: jobs in, token-prefixed replies out."""

    def __init__(self) -> None:
        self.incoming = os.fdopen(_private_copy(0), "r", encoding="utf-8")
        self.outgoing = _private_copy(1)
        self.token = json.loads(self.incoming.readline() or "{}").get("token", "")

    def send(self, token: str, message: dict) -> None:
        data = memoryview(f"{token} {json.dumps(message, default=str)}\n".encode())
        while data:
            data = data[os.write(self.outgoing, data):]


def _child_processes() -> int:
    """How many processes this one has started and not reaped (Linux; 0 elsewhere)."""
    count = 0
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return 0
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/children", encoding="ascii") as handle:
                count += len(handle.read().split())
        except OSError:
            pass
    return count


def _left_behind(threads_before: set) -> str:
    """Threads and processes the job's code started and left running: '' when none.

    Their output would land in the next module's evidence, so the runner
    gives the next module a fresh worker (and the supervisor kills them).
    """
    threads = [t.name for t in threading.enumerate()
               if t.ident not in threads_before and t.is_alive() and not isinstance(t, threading._DummyThread)]
    processes = _child_processes()
    parts = ([f"{len(threads)} thread{'s' * (len(threads) != 1)} ({', '.join(threads[:3])})"] if threads else [])
    parts += [f"{processes} process{'es' * (processes != 1)}"] if processes else []
    return " and ".join(parts)


def main(argv: list[str]) -> int:
    _limit_memory(int(argv[1]) if len(argv) > 1 else 0)
    # The protocol gets private copies of stdin and stdout; the user's code sees
    # /dev/null and stderr, so neither input() nor a stray print can corrupt it.
    protocol = _Protocol()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    os.close(devnull)
    started = time.perf_counter()
    import tensorflow as tf

    tf.get_logger().setLevel(logging.WARNING)
    hello, protocol.token = protocol.token, ""
    protocol.send(hello, {"ready": True, "tensorflow": tf.__version__,
                          "import_seconds": time.perf_counter() - started})
    examples_cache: dict[str, dict] = {}
    for line in protocol.incoming:
        job = json.loads(line)
        token = job.pop("token", "")  # not in the dict the user's code could reach
        started = time.perf_counter()
        threads_before = {t.ident for t in threading.enumerate()}
        loader = Loader(job["roots"])
        loader.baseline = _BASELINE if _BASELINE else set(sys.modules)
        try:
            path = job.get("examples")
            loader.use_roots()  # the examples module may import the project
            if path not in examples_cache:
                examples_cache[path] = load_examples(path)
            original_load = loader.load

            def load(name, path, overlay=None, _load=original_load):
                module = _load(name, path, overlay)
                install_once_helper(module)
                return module

            loader.load = load
            if "fixed" in job:  # --dynamic with --fix/--diff: prove the fixes of this module
                result = prove_fixes(job, loader, examples_cache[path])
            else:
                result = Job(job, loader, examples_cache[path]).run()
        except ExampleError as error:
            result = {"module": job["module"], "results": {
                str(f["id"]): {"status": "error", "evidence": str(error)} for f in job["findings"]}, "new": []}
        result["seconds"] = time.perf_counter() - started
        result["left_behind"] = _left_behind(threads_before)
        protocol.send(token, result)
    return 0


_BASELINE: set[str] = set()

if __name__ == "__main__":
    _BASELINE.update(sys.modules)
    code = main(sys.argv)
    # Not sys.exit: Python would wait for the threads the user's code left running
    # (and run its atexit handlers). What it left, the supervisor kills.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
