"""The dynamic worker: a subprocess that imports TensorFlow and the user's code.

Started by ``runner`` as ``python -m tflint_fn.dynamic.worker MEMORY_MB``. It
reads one job per line on stdin (a module, its traced roots and the findings
about them), traces every root with real TensorFlow (``job``), and writes one
result per line on the protocol stream. Anything the user's code prints
outside a capture lands on stderr, which the runner keeps for crash reports.

Only the standard library, TensorFlow and the sibling ``tflint_fn.dynamic``
modules are imported here: the worker must not depend on the linter's own
modules. TensorFlow is imported in ``main``, after the memory limit is set.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time

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


def main(argv: list[str]) -> int:
    _limit_memory(int(argv[1]) if len(argv) > 1 else 0)
    # The protocol gets private copies of stdin and stdout; the user's code sees
    # /dev/null and stderr, so neither input() nor a stray print can corrupt it.
    protocol_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    protocol_out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    started = time.perf_counter()
    import tensorflow as tf

    tf.get_logger().setLevel(logging.WARNING)
    protocol_out.write(json.dumps({"ready": True, "tensorflow": tf.__version__,
                                   "import_seconds": time.perf_counter() - started}) + "\n")
    examples_cache: dict[str, dict] = {}
    for line in protocol_in:
        job = json.loads(line)
        started = time.perf_counter()
        loader = Loader(job["roots"])
        loader.baseline = _BASELINE if _BASELINE else set(sys.modules)
        try:
            path = job.get("examples")
            loader.use_roots()  # the examples module may import the project
            if path not in examples_cache:
                examples_cache[path] = load_examples(path)
            runner = Job(job, loader, examples_cache[path])
            original_load = loader.load

            def load(name, path, overlay=None, _load=original_load):
                module = _load(name, path, overlay)
                install_once_helper(module)
                return module

            loader.load = load
            result = runner.run()
        except ExampleError as error:
            result = {"module": job["module"], "results": {
                str(f["id"]): {"status": "error", "evidence": str(error)} for f in job["findings"]}, "new": []}
        result["seconds"] = time.perf_counter() - started
        protocol_out.write(json.dumps(result, default=str) + "\n")
    return 0


_BASELINE: set[str] = set()

if __name__ == "__main__":
    _BASELINE.update(sys.modules)
    sys.exit(main(sys.argv))
