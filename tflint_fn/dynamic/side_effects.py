"""Side effects (TFF1xx): the evidence only a changed global or a kept value gives.

How often a flagged line ran in graph mode and eagerly is counted by
``Job``; here are TFF106 (change the global between calls and see whether
the graph notices) and the note on what a side effect left behind.
For TFF104, ``numpy_generator`` finds the NumPy generator a flagged call
draws from, whose state (``rng_state``) tells whether it drew.
Functions take the ``Job`` whose findings they judge. TensorFlow is imported
inside the functions that use it, after the worker has set its memory limit.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import sys
import types

from tflint_fn.dynamic.errors import describe_exception
from tflint_fn.dynamic.loader import module_of
from tflint_fn.dynamic.plans import Phase, Plan, quiet, times_text


def judge_frozen_global(job, finding, plan: Plan, how: str, graph: Phase) -> None:
    """TFF106: change the global after the first call; a graph that does not retrace cannot see it."""
    import tensorflow as tf

    name = job._source_span(finding).strip()
    module = sys.modules.get(module_of(finding["path"]) or "")
    if plan.function is None or module is None or not name.isidentifier() or not hasattr(module, name):
        job._set(finding, "skipped", f"cannot change `{name}` between calls of this kind of root")
        return
    if not graph.counts[(os.path.abspath(finding["path"]), finding["line"])]:
        # A global read on a line tracing never reached is not frozen into the graph.
        job._set(finding, "not-reproduced", f"line {finding['line']} never ran while tracing{how}")
        return
    old = getattr(module, name)
    if tf.is_tensor(old) or isinstance(old, tf.Variable) or not isinstance(old, (int, float, str, bool)):
        job._set(finding, "not-reproduced", f"`{name}` holds {type(old).__name__}, not a Python constant{how}")
        return
    new = old + 0.5 if isinstance(old, float) else (old + 1 if isinstance(old, int) else old + "_changed")
    before = plan.function.experimental_get_tracing_count()
    try:
        with quiet():
            plan.graph_call(plan.inputs)
            setattr(module, name, new)
            plan.graph_call(plan.inputs)
            plan.graph_call(plan.inputs)
    except Exception as error:
        job._set(finding, "skipped", f"calling again failed: {describe_exception(error)}")
        return
    finally:
        setattr(module, name, old)
    traces = plan.function.experimental_get_tracing_count() - before
    text = (f"`{name}` changed from {old!r} to {new!r} after call 1 of 3, and the function traced "
            f"{times_text(traces)} again")
    if traces == 0:
        job._set(finding, "confirmed", text + f": the graph still uses {old!r}{how}")
    else:
        job._set(finding, "not-reproduced", text + how)


def effect_note(job, finding, graph: Phase, module, plan: Plan) -> str:
    text = job._source_span(finding)
    if finding["code"] == "TFF101" and graph.printed:
        first = graph.printed[0].strip().splitlines()[0] if graph.printed[0].strip() else ""
        return f"; printed {first[:60]!r}" if first else ""
    match = re.match(r"\s*(?:global\s+)?(self\.)?([A-Za-z_]\w*)", text)
    if not match:
        return ""
    owner = plan.inputs.instance if match.group(1) else sys.modules.get(module_of(finding["path"]) or "", module)
    value = getattr(owner, match.group(2), None) if owner is not None else None
    if value is None:
        return ""
    name = ("self." if match.group(1) else "") + match.group(2)
    symbolic = [v for v in _flatten(value) if _is_symbolic(v)]
    note = f"; `{name}` holds {len(symbolic)} symbolic tensor{'s' if len(symbolic) != 1 else ''} afterwards" if symbolic else ""
    if isinstance(value, (list, dict, set)) and not note:
        note = f"; `{name}` has {len(value)} items afterwards"
    return note


def _flatten(value, depth: int = 0):
    if depth > 2:
        return
    if isinstance(value, (list, tuple, set)):
        for item in value:
            yield from _flatten(item, depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _flatten(item, depth + 1)
    else:
        yield value


def _is_symbolic(value) -> bool:
    import tensorflow as tf

    return tf.is_tensor(value) and not hasattr(value, "numpy")


# -- NumPy's random generators (TFF104)
#
# Their methods are compiled (Cython): calling one raises no profiling event,
# so the line counter sees the line run but not the call. The generator's
# state is the evidence instead: it advances when, and only when, it draws.


def numpy_generator(job, finding, instance):
    """The NumPy ``Generator``/``RandomState`` the flagged call draws from, or None.

    Only a name or attribute chain is followed (``np.random.normal``,
    ``rng.integers``, ``self.rng.random``, ``normal`` imported from
    ``numpy.random``), reading attributes without running user code.
    """
    numpy = sys.modules.get("numpy")
    resolved = _resolve_callee(job, finding, instance)
    if numpy is None or resolved is None:
        return None
    kinds = (numpy.random.Generator, numpy.random.RandomState)
    receiver, value = resolved
    owner = getattr(value, "__self__", None)  # a bound method: np.random.normal is RandomState.normal
    if isinstance(owner, kinds):
        return owner
    return receiver if isinstance(receiver, kinds) else None


def compiled_call(job, finding, instance) -> bool:
    """Is the flagged call to compiled code that raises no profiling event (Cython: ``np.random.default_rng``)?

    Such a call is invisible to the line counter's call count; the line's
    own runs stand for it.
    """
    resolved = _resolve_callee(job, finding, instance)
    if resolved is None:
        return False
    value = resolved[1]
    if type(value).__name__ == "cython_function_or_method":
        return True
    return inspect.ismethod(value) and type(value.__func__).__name__ == "cython_function_or_method"


def _resolve_callee(job, finding, instance):
    """(receiver, callee) of the flagged call, by its name or attribute chain; None if it cannot be read."""
    function = _call_function(job._source_span(finding))
    if function is None:
        return None
    chain = []
    while isinstance(function, ast.Attribute):
        chain.append(function.attr)
        function = function.value
    if not isinstance(function, ast.Name):
        return None
    if function.id == "self":
        value = instance
    else:
        module = sys.modules.get(module_of(finding["path"]) or "")
        value = vars(module).get(function.id) if module is not None else None
    if value is None:
        return None
    receiver = None
    for name in reversed(chain):
        receiver = value
        try:
            value = getattr(value, name) if isinstance(value, types.ModuleType) else inspect.getattr_static(value, name)
        except AttributeError:
            return None
    return receiver, value


def unobservable_call(job, finding) -> bool:
    """Is the flagged call made on something computed on the line (``np.random.default_rng().normal()``)?

    Its target cannot be read without running the line, so whether it is a
    call the profiler sees is unknown.
    """
    function = _call_function(job._source_span(finding))
    while isinstance(function, ast.Attribute):
        function = function.value
    return function is not None and not isinstance(function, ast.Name)


def rng_state(generator):
    """A comparable snapshot of a NumPy generator's state."""
    import numpy

    try:
        if isinstance(generator, numpy.random.RandomState):
            state = generator.get_state(legacy=False)  # with the cached Gaussian
        else:
            state = generator.bit_generator.state
        return _freeze(state)
    except Exception:  # a bit generator without a readable state: never counts as a draw
        return None


def _freeze(value):
    if isinstance(value, dict):
        return tuple(sorted((key, _freeze(item)) for key, item in value.items()))
    if hasattr(value, "tobytes"):
        return value.tobytes()
    return value


def _call_function(span: str):
    try:
        node = ast.parse(span.strip(), mode="eval").body
    except SyntaxError:
        return None
    return node.func if isinstance(node, ast.Call) else None
