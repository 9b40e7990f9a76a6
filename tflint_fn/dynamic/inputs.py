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
import typing
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
    ("float32", [None, None, None]),  # sequences
    ("float32", [None, None, None, None]),  # images
]

# Python values for parameters whose type hint names a Python type (``times: int``).
HINTED = {int: 2, float: 0.5, bool: False, str: "a"}


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


def python_hints(function, names: list[str]) -> dict:
    """The parameters among ``names`` hinted as a Python scalar, with the value to pass."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return {}
    try:
        hints = typing.get_type_hints(function.__init__ if isinstance(function, type) else function)
    except Exception:  # an annotation that does not evaluate: read them as written
        hints = {name: p.annotation for name, p in parameters.items()}
    values = {}
    for name in names:
        value = hinted_value(hints.get(name, inspect.Parameter.empty))
        if value is not _NO_VALUE:
            values[name] = value
    return values


_NO_VALUE = object()


def hinted_value(hint):
    """A Python value of the type ``hint`` names, or ``_NO_VALUE``."""
    if isinstance(hint, str):
        hint = {"int": int, "float": float, "bool": bool, "str": str}.get(hint.strip(), hint)
    if hint in HINTED:
        return HINTED[hint]
    options = [a for a in typing.get_args(hint) if a is not type(None)]
    if type(None) in typing.get_args(hint) and options:
        return None  # Optional[...]: None is a value the code must accept
    return _NO_VALUE


def probe_candidates(names: list[str], function=None):
    """Generated specs to try, one per required parameter, with their description.

    A parameter hinted as a Python scalar (``times: int``) gets a Python value
    in every candidate, when ``function`` is given to read the hints from.
    """
    import tensorflow as tf

    fixed = python_hints(function, names) if function is not None else {}
    tensors = [n for n in names if n not in fixed]
    combos = [[probe] * len(tensors) for probe in PROBES]
    if len(tensors) > 1:
        for first in (PROBES[0], PROBES[2]):
            combos += [[first] + [PROBES[3]] * (len(tensors) - 1), [first] + [PROBES[4]] * (len(tensors) - 1)]
    if not tensors:
        combos = combos[:1]
    for combo in combos:
        specs = dict(zip(tensors, (tf.TensorSpec(shape, getattr(tf, dtype)) for dtype, shape in combo)))
        shown = [f"{n}={_spec_text(specs[n])}" if n in specs else f"{n}={fixed[n]!r}" for n in names]
        note = "probe " + (", ".join(shown) or "with no arguments")
        yield tuple(concrete_value(specs[n]) if n in specs else fixed[n] for n in names), note


class ConstructorError(Exception):
    """A class the checker cannot instantiate by itself; the message says what is missing."""


def construct(cls):
    """An instance of ``cls`` and how it was made: its defaults, else its type hints.

    Required parameters hinted as Python scalars get a value (``int`` 2,
    ``float`` 0.5, ``bool`` False, ``str`` "a", ``Optional`` None);
    any other required parameter needs an example.
    """
    name = getattr(cls, "__qualname__", repr(cls))
    try:
        return cls(), ""
    except TypeError as error:
        first = error
    except Exception as error:
        raise ConstructorError(f"`{name}()` raises {describe_exception(error)}") from None
    try:
        parameters = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        raise ConstructorError(f"`{name}()` raises {describe_exception(first)}") from None
    required = [p for p in parameters if p.default is inspect.Parameter.empty
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if not required:
        raise ConstructorError(f"`{name}()` raises {describe_exception(first)}")
    values = python_hints(cls, [p.name for p in required])
    missing = [p.name for p in required if p.name not in values]
    if missing:
        raise ConstructorError(
            f"`{name}()` needs {', '.join(f'`{m}`' for m in missing)}: no default, and no type hint "
            f"naming int, float, bool, str or Optional"
        )
    args = [values[p.name] for p in required if p.kind == p.POSITIONAL_ONLY]
    kwargs = {p.name: values[p.name] for p in required if p.kind != p.POSITIONAL_ONLY}
    shown = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
    try:
        instance = cls(*args, **kwargs)
    except Exception as error:
        raise ConstructorError(f"`{name}({shown})`, from its type hints, raises {describe_exception(error)}") from None
    return instance, f"`{name}({shown})` from its type hints"


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
