"""What a traced root is called with: examples, input signatures, probes.

``Inputs`` are the arguments of one call and how they were chosen. They come
from the user's examples module (``load_examples``, ``call_example``), or
are generated: ``probe_candidates`` for a function's required parameters,
``varied_values`` for one parameter that changes between calls.
TensorFlow is imported inside the functions that use it: the worker imports
it only after setting its memory limit.
"""

from __future__ import annotations

import importlib.util
import inspect
from dataclasses import dataclass

from tflint_fn.dynamic.errors import describe_exception


@dataclass
class Inputs:
    args: tuple
    kwargs: dict
    note: str  # how they were chosen, for the evidence
    instance: object = None
    function: object = None  # the tf.function they were checked with
    specs: tuple | None = None  # probes: traced with these (unknown dimensions), then called


PROBES = [  # (dtype, shape) per parameter; None dimensions are 4 in the concrete values
    ("float32", [None]),
    ("float32", []),
    ("float32", [None, None]),
    ("int32", [None]),
    ("int32", []),
]


def concrete_value(spec):
    import tensorflow as tf

    shape = [4 if dim is None else dim for dim in spec.shape.as_list()] if spec.shape.rank is not None else [4]
    if spec.dtype == tf.string:
        return tf.fill(shape, "a")
    if spec.dtype == tf.bool:
        return tf.fill(shape, True)
    return tf.cast(tf.fill(shape, 1.5 if spec.dtype.is_floating else 1), spec.dtype)


def _spec_text(spec) -> str:
    dims = ", ".join("None" if d is None else str(d) for d in spec.shape.as_list()) if spec.shape.rank is not None else "..."
    return f"TensorSpec([{dims}], {spec.dtype.name})"


def required_parameters(function) -> list[str]:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return []
    return [
        p.name for p in parameters
        if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        and p.name != "self"
    ]


def probe_candidates(names: list[str]):
    """Generated specs to try, one per required parameter, with their description."""
    import tensorflow as tf

    combos = [[probe] * len(names) for probe in PROBES]
    if len(names) > 1:
        for first in (PROBES[0], PROBES[2]):
            combos += [[first] + [PROBES[3]] * (len(names) - 1), [first] + [PROBES[4]] * (len(names) - 1)]
    for combo in combos:
        specs = [tf.TensorSpec(shape, getattr(tf, dtype)) for dtype, shape in combo]
        note = "probe " + (", ".join(f"{n}={_spec_text(s)}" for n, s in zip(names, specs)) or "with no arguments")
        yield tuple(concrete_value(s) for s in specs), note


class ExampleError(Exception):
    pass


def load_examples(path: str | None) -> dict:
    if not path:
        return {}
    try:
        spec = importlib.util.spec_from_file_location("tflint_fn_dynamic_examples", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except BaseException as error:  # the user's examples module: anything can happen
        raise ExampleError(f"examples module {path} cannot be imported: {describe_exception(error)}") from None
    table = getattr(module, "EXAMPLES", None)
    if not isinstance(table, dict):
        raise ExampleError(f"examples module {path} must define a dict EXAMPLES = {{'package.module:qualname': function}}")
    return table


def call_example(factory, module, key: str) -> Inputs:
    try:
        wants_module = len(inspect.signature(factory).parameters) >= 1
        value = factory(module) if wants_module else factory()
    except BaseException as error:
        raise ExampleError(f"example {key!r} raised {describe_exception(error)}") from None
    note = f"example {key}"
    if isinstance(value, (tuple, list)):
        return Inputs(tuple(value), {}, note)
    if isinstance(value, dict) and set(value) <= {"args", "kwargs", "instance"}:
        return Inputs(tuple(value.get("args", ())), dict(value.get("kwargs", {})), note, value.get("instance"))
    raise ExampleError(f"example {key!r} must return a tuple of arguments or a dict with args/kwargs/instance")


def varied_values(base, shapes: bool):
    """Three Python values, or three NumPy shapes like ``base``'s, with how to show them."""
    import numpy as np

    if shapes:
        rank = len(base.shape) if getattr(base, "shape", None) is not None and len(base.shape) else 1
        rest = [int(d) if d is not None else 4 for d in list(getattr(base, "shape", [4]))[1:rank]]
        values = [np.ones([n] + rest, np.float32) for n in (1, 2, 3)]
        yield values, [f"float32{list(v.shape)}" for v in values]
        return
    yield [0, 1, 2], ["0", "1", "2"]
    yield [0.5, 1.5, 2.5], ["0.5", "1.5", "2.5"]
    yield ["a", "b", "c"], ["'a'", "'b'", "'c'"]
