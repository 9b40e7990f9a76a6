"""An ``input_signature`` from the calls a retracing check made (TFF401, TFF405).

``observed_signature`` reads the arguments of the traced calls, one
``{"name", "shape", "dtype"}`` per positional parameter passed: tensors and
NumPy arrays keep their dtype and the dimensions that were the same in every
call (a dimension that differs, or one a generated probe left unknown, is
``None``); a Python number or string that varies becomes a scalar tensor of
the dtype TensorFlow gives it (``int`` -> int32, ``float`` -> float32).
Anything else (a Python value that is the same in every call, a list, an
object) has no faithful spec: the reason is returned instead, and no fix is
proposed. ``working_signature`` then tries the specs with TensorFlow: a
``tf.function`` of the same Python function with that ``input_signature``
must run the same calls, tracing once; where a Python ``int`` as int32 fails
(``x * step`` with a float ``x``: TensorFlow converts the Python number to
float32), float32 is tried. TensorFlow is imported inside the function, after the worker has set
its memory limit.
"""

from __future__ import annotations

import inspect

_PYTHON_DTYPES = ((bool, "bool"), (int, "int32"), (float, "float32"), (str, "string"))


def observed_signature(python_function, calls: list, probe: bool) -> tuple[list[dict] | None, str]:
    """(specs, "") or (None, why not); ``calls`` are ``Inputs``, ``probe``: the fixed arguments were generated."""
    try:
        signature = inspect.signature(python_function)
    except (TypeError, ValueError):
        return None, "the function's signature cannot be read"
    parameters = [p for p in signature.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"]
    bound = []
    for call in calls:
        try:
            bound.append(signature.bind(*call.args, **call.kwargs).arguments)
        except TypeError:
            return None, "the calls do not bind to the function's parameters"
    passed = [p.name for p in parameters if any(p.name in arguments for arguments in bound)]
    if [p.name for p in parameters[:len(passed)]] != passed:
        return None, "a parameter before the last one passed was left to its default"
    if any(name not in arguments for name in passed for arguments in bound):
        return None, "a parameter was passed in some calls only"
    specs = []
    for name in passed:
        spec, why = _spec([arguments[name] for arguments in bound], probe)
        if spec is None:
            return None, f"`{name}`: {why}"
        specs.append({"name": name, **spec})
    return specs, ""


def _spec(values: list, probe: bool) -> tuple[dict | None, str]:
    import numpy as np
    import tensorflow as tf

    if all(tf.is_tensor(v) or isinstance(v, (np.ndarray, np.generic)) for v in values):
        dtypes = {tf.as_dtype(v.dtype).name for v in values}
        if len(dtypes) != 1:
            return None, f"dtypes differ between calls ({', '.join(sorted(dtypes))})"
        shapes = [tuple(v.shape) for v in values]
        if len({len(s) for s in shapes}) != 1:
            return {"shape": None, "dtype": dtypes.pop()}, ""
        dims = [None if probe or len({s[i] for s in shapes}) != 1 else int(shapes[0][i]) for i in range(len(shapes[0]))]
        return {"shape": dims, "dtype": dtypes.pop()}, ""
    kinds = set()
    for value in values:
        kind = next((dtype for python, dtype in _PYTHON_DTYPES if type(value) is python), None)
        if kind is None:
            return None, f"a {type(value).__name__}, which no TensorSpec describes"
        kinds.add(kind)
    if len({repr(v) for v in values}) == 1:
        return None, (f"the Python value {values[0]!r} in every call: a tensor in its place would change "
                      "what the function's Python code sees")
    if kinds == {"int32", "float32"}:
        kinds = {"float32"}
    if len(kinds) != 1:
        return None, f"Python values of several types ({', '.join(sorted(kinds))})"
    return {"shape": [], "dtype": kinds.pop()}, ""


def working_signature(python_function, calls: list, specs: list[dict]) -> tuple[list[dict] | None, str]:
    """``specs``, or with int32 scalars made float32, whichever runs ``calls`` in one trace; else (None, why)."""
    import tensorflow as tf

    variants = [specs]
    if any(spec["shape"] == [] and spec["dtype"] == "int32" for spec in specs):
        variants.append([{**spec, "dtype": "float32"} if spec["shape"] == [] and spec["dtype"] == "int32" else spec
                         for spec in specs])
    failure = ""
    for variant in variants:
        signature = [tf.TensorSpec(spec["shape"], getattr(tf, spec["dtype"])) for spec in variant]
        function = tf.function(python_function, input_signature=signature)
        try:
            for call in calls:
                function(*call.args, **call.kwargs)
        except Exception as error:  # the user's function, with tensors where it had Python values
            failure = f"{type(error).__name__}: {' '.join(str(error).split())[:120]}"
            continue
        if function.experimental_get_tracing_count() == 1:
            return variant, ""
        failure = f"traced {function.experimental_get_tracing_count()} times with it"
    return None, f"the observed signature does not run the calls ({failure})"
