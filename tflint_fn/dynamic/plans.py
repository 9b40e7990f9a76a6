"""How a traced root is called, and what one round of calls recorded.

A ``Plan`` says how to call one root in graph mode and eagerly (``Job``
builds it); a ``Phase`` holds what a round of calls did: line counts,
errors, prints, TensorFlow's warnings, traces. Also the small helpers for
calling the user's code quietly or eagerly. TensorFlow is imported inside
the functions that use it, after the worker has set its memory limit.
"""

from __future__ import annotations

import contextlib
import inspect
import io
from collections import Counter
from dataclasses import dataclass, field

from tflint_fn.dynamic.inputs import Inputs

CALLS = 3  # calls per input: enough to tell "once per trace" from "once per call"


@dataclass
class Plan:
    """One traced root, ready to call in graph mode and eagerly."""

    inputs: Inputs
    unit: str  # "calls", "training steps", "passes over the dataset"
    graph_setup: object  # () -> None; may trace (tf.data)
    graph_call: object  # (inputs) -> value
    eager_call: object
    function: object = None  # the tf.function, for its tracing count
    python_function: object = None


class Skip(Exception):
    """The root cannot be traced here; the message says why."""


@dataclass
class Phase:
    counts: Counter = field(default_factory=Counter)
    call_counts: Counter = field(default_factory=Counter)
    errors: list = field(default_factory=list)  # (call index, exception)
    outputs: list = field(default_factory=list)
    printed: list = field(default_factory=list)
    logs: list = field(default_factory=list)
    traces: int | None = None
    calls: int = 0
    # NumPy generators watched (TFF104): id -> how many steps (the set-up, each call) it drew in
    draws: Counter = field(default_factory=Counter)


def attribute_path(obj, dotted: str):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def is_tf_function(obj) -> bool:
    return hasattr(obj, "python_function") and hasattr(obj, "experimental_get_tracing_count")


def wrapping_function(module, function):
    """The ``tf.function`` object a module made from ``function`` (``g = tf.function(f)``)."""
    for value in vars(module).values():
        if is_tf_function(value) and inspect.unwrap(value.python_function) is inspect.unwrap(function):
            return value
    return None


def times_text(count: int | None) -> str:
    return f"{count} time{'s' if count != 1 else ''}"


def run_eagerly(call):
    import tensorflow as tf

    tf.config.run_functions_eagerly(True)
    try:
        return call()
    finally:
        tf.config.run_functions_eagerly(False)


@contextlib.contextmanager
def quiet():
    """Keep the user's prints during set-up out of the protocol and the evidence."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


@contextlib.contextmanager
def captured(phase: Phase):
    """One call's stdout (kept as evidence) and stderr (kept out of the worker's log)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield
    finally:
        if out.getvalue():
            phase.printed.append(out.getvalue())
