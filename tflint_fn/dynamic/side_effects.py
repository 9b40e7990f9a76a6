"""Side effects (TFF1xx): the evidence only a changed global or a kept value gives.

How often a flagged line ran in graph mode and eagerly is counted by
``Job``; here are TFF106 (change the global between calls and see whether
the graph notices) and the note on what a side effect left behind.
Functions take the ``Job`` whose findings they judge. TensorFlow is imported
inside the functions that use it, after the worker has set its memory limit.
"""

from __future__ import annotations

import re
import sys

from tflint_fn.dynamic.errors import describe_exception
from tflint_fn.dynamic.loader import module_of
from tflint_fn.dynamic.plans import Phase, Plan, quiet, times_text


def judge_frozen_global(job, finding, plan: Plan, how: str) -> None:
    """TFF106: change the global after the first call; a graph that does not retrace cannot see it."""
    import tensorflow as tf

    name = job._source_span(finding).strip()
    module = sys.modules.get(module_of(finding["path"]) or "")
    if plan.function is None or module is None or not name.isidentifier() or not hasattr(module, name):
        job._set(finding, "skipped", f"cannot change `{name}` between calls of this kind of root")
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
