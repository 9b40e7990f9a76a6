"""Proving a fix with TensorFlow: the fixed function traces and matches the eager original.

A proof job is a module, the fixed text of its file, and one proof per traced
root whose code a fix changed. ``prove_fixes`` builds each root's call plan
on the original module (``Job._plan``: the example, the input_signature or the
first generated probe that runs eagerly), runs it eagerly, then loads the
fixed text (an overlay, as the stand-ins are loaded) and runs the same plan
under ``tf.function``: it must build with the same inputs, trace without
error, and give the eager original's outputs (for TFF104, another random
stream or a clock read later: the same shapes and dtypes). A proof with a
``parameter`` (the ``input_signature`` proposed for TFF401/TFF405, or TFF401's
``tf.constant`` at the call sites, then called with ``tf.constant`` values)
repeats the retracing check's calls (``retracing.varied_calls``) and must
trace once. A TFF402 hoisting (``hoist``) runs the function holding the loop:
the wrapped function must trace once for the loop's calls.

Each proof gets ``status``: ``proven``; ``not-proven`` (a check failed, the
evidence says which); ``untested`` (nothing to compare: no input, or the
original raises eagerly). TensorFlow is imported inside the functions that
use it, after the worker has set its memory limit.
"""

from __future__ import annotations

import contextlib
import inspect
import random
import re

from tflint_fn.dynamic import job as job_module
from tflint_fn.dynamic.errors import describe_exception, error_location
from tflint_fn.dynamic.inputs import (
    ExampleError,
    Inputs,
    concrete_value,
    probe_candidates,
    required_parameters,
)
from tflint_fn.dynamic.job import Job, separate_autograph_conversions
from tflint_fn.dynamic.linecount import LineCounter
from tflint_fn.dynamic.plans import Plan, Skip, quiet, run_eagerly, times_text
from tflint_fn.dynamic.retracing import varied_calls

RTOL = ATOL = 1e-5


def prove_fixes(job: dict, loader, examples: dict) -> dict:
    checker = Job(job, loader, examples)
    separate_autograph_conversions()
    results = {}
    for proof in job["findings"]:
        try:
            status, evidence = _prove(checker, proof, job["fixed"], proof.get("edited") or {})
        except Skip as why:
            status, evidence = "untested", str(why)
        except ExampleError as error:
            status, evidence = "untested", str(error)
        except BaseException as error:  # the user's code, outside any guarded call
            status, evidence = "untested", f"{describe_exception(error)} while preparing `{proof['subject']['qualname']}`"
        finally:
            loader.restore(checker.path)
        results[str(proof["id"])] = {"status": status, "evidence": evidence}
    return {"module": job["module"], "results": results, "new": []}


def _seed() -> None:
    """The same weights and random draws for the original and the fixed code (Keras layers built twice)."""
    import numpy as np
    import tensorflow as tf

    random.seed(0)
    np.random.seed(0)
    tf.random.set_seed(0)


def _load(checker: Job, overlay: str | None, edited: dict[str, str] | None = None):
    """The module from ``overlay`` (None: its file), importing the files of ``edited`` from their texts."""
    _seed()
    checker.loader.edited = edited or {}
    checker.overlay = overlay
    checker.module = checker.loader.load(checker.name, checker.path, overlay)
    return checker.module


def _load_original(checker: Job):
    """The original module; if its import raises (a tf.data pipeline mapping the bug), without what raises.

    Each top-level statement then runs alone, and one that raises is left
    out: the eager original needs its definitions, not the pipeline that
    traces them. Returns the module and what was left out, for the evidence.
    """
    import ast
    import sys
    import types

    try:
        return _load(checker, None), ""
    except Exception as error:  # the user's import
        failure = describe_exception(error)
    _seed()
    loader = checker.loader
    loader.edited = {}
    loader.purge()
    loader.use_roots()
    with open(checker.path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), checker.path)
    module = types.ModuleType(checker.name)
    module.__file__ = checker.path
    sys.modules[checker.name] = module
    left_out = []
    for statement in tree.body:
        try:
            exec(compile(ast.Module([statement], []), checker.path, "exec"), module.__dict__)
        except Exception:  # the statement that made the import fail
            left_out.append(str(statement.lineno))
    checker.overlay, checker.module = None, module
    lines = ", ".join(left_out)
    return module, f"; importing the original raises {failure}: its eager run is without line {lines}"


def _prove(checker: Job, proof: dict, fixed: str | None, edited: dict[str, str]) -> tuple[str, str]:
    """``fixed``: the module's fixed text (None: unchanged); ``edited``: the fixed texts of other files."""
    subject = proof["subject"]
    if proof.get("hoist"):
        return _prove_hoist(checker, proof, fixed)
    if proof.get("constant"):
        return _prove_constant(checker, proof, fixed)
    if proof.get("parameter"):
        return _prove_signature(checker, proof, fixed)
    module, left_out = _load_original(checker)
    with quiet():
        plan = checker._plan(module, subject)
        if (proof.get("signature") and plan.function is not None and plan.inputs.note != "input_signature"
                and subject["kind"] == "tf.function" and "<locals>" not in subject["qualname"]):
            # Another fix declares an input_signature on this function: the fixed code is called
            # with its values, and so is the original (from a fresh module: choosing a probe ran it).
            values = tuple(concrete_value(_tensor_spec(spec)) for spec in proof["signature"])
            module, left_out = _load_original(checker)
            function, instance, _ = checker._resolve(module, subject)
            plan = checker._function_plan(Inputs(values, {}, "input_signature", instance, function))
        eager = checker._phase(plan, eager=True)
    module = _load(checker, fixed, edited)
    try:
        with quiet(), _same_probe(plan.inputs.note):
            fixed_plan = checker._plan(module, subject)
    except Skip as why:
        return "not-proven", f"the fixed code cannot be called as the original was: {why}"
    if fixed_plan.inputs.note != plan.inputs.note:
        return "not-proven", (f"the fixed function does not run eagerly with the original's input "
                              f"({plan.inputs.note}); the first input it accepts is {fixed_plan.inputs.note}")
    _seed()
    with quiet():
        graph = checker._phase(fixed_plan, eager=False)
    how = f"with {plan.inputs.note}{left_out}"
    return _verdict(checker, proof, plan, eager.outputs, eager.errors, graph, how, expect_one_trace=False)


def _tensor_spec(spec: dict):
    import tensorflow as tf

    return tf.TensorSpec(spec["shape"], getattr(tf, spec["dtype"]))


@contextlib.contextmanager
def _same_probe(note: str):
    """While building the fixed code's plan, only the probe the original ran with is tried.

    The fixed function may accept an input the original refused (``tf.math.sqrt``
    takes a vector, ``math.sqrt`` does not): it is compared on the original's.
    """
    original = job_module.probe_candidates

    def candidates(*args, **kwargs):
        return (c for c in original(*args, **kwargs) if c[1] == note)

    job_module.probe_candidates = candidates
    try:
        yield
    finally:
        job_module.probe_candidates = original


def _prove_signature(checker: Job, proof: dict, fixed: str) -> tuple[str, str]:
    """The proposed input_signature: the retracing check's calls, traced once, equal to the eager original."""
    return _prove_varied(checker, proof, fixed, as_tensors=False)


def _prove_constant(checker: Job, proof: dict, fixed: str | None) -> tuple[str, str]:
    """TFF401's ``tf.constant(value)`` at the call sites: the retracing check's Python values, each passed as
    ``tf.constant(value)``, as the fixed calls pass them (int32 for an int, float32 for a float), traced once,
    equal to the eager original called with the Python values. ``fixed`` is None when the call sites are in
    another file than the tf.function."""
    return _prove_varied(checker, proof, fixed, as_tensors=True)


def _prove_varied(checker: Job, proof: dict, fixed: str | None, as_tensors: bool) -> tuple[str, str]:
    import tensorflow as tf

    subject, parameter = proof["subject"], proof["parameter"]
    shapes = proof["code"] == "TFF405"
    _load(checker, None)
    floats = proof.get("constant") == "float"
    function, calls, base, shown = varied_calls(checker, subject, parameter, shapes, floats_only=floats)
    # Finding the calls ran them eagerly once: a fresh module, so that state they change
    # (a variable updated per step) starts where the fixed module's does.
    _load(checker, None)
    function, instance, _ = checker._resolve(checker.module, subject)
    calls = [type(call)(call.args, call.kwargs, call.note, instance) for call in calls]
    outputs, errors = [], []
    with quiet():
        for index, call in enumerate(calls):
            try:
                outputs.append(run_eagerly(lambda call=call: function(*call.args, **call.kwargs)))
            except Exception as error:
                errors.append((index, error))
    _load(checker, fixed)
    fixed_function, instance, _ = checker._resolve(checker.module, subject)
    if fixed_function is None:
        return "not-proven", "the fixed code has no tf.function to call"
    calls = [type(call)(call.args, call.kwargs, call.note, instance) for call in calls]
    if as_tensors:
        position = list(inspect.signature(fixed_function.python_function).parameters).index(parameter)
        calls = [_as_constant(call, parameter, position, tf.constant) for call in calls]
        shown = [f"tf.constant({value})" for value in shown]
    plan = Plan(base, "calls", lambda: None, lambda i: fixed_function(*i.args, **i.kwargs), None, fixed_function,
                fixed_function.python_function)
    _seed()
    with quiet():
        graph = checker._phase(plan, eager=False, calls=len(calls), vary=lambda index: calls[index])
    others = re.sub(rf",? ?\b{re.escape(parameter)}=TensorSpec\([^)]*\)", "", base.note)
    how = f"with {parameter}=" + ", ".join(shown) + ("" if others == "probe" else f", other arguments from {others}")
    return _verdict(checker, proof, plan, outputs, errors, graph, how, expect_one_trace=True)


def _prove_hoist(checker: Job, proof: dict, fixed: str) -> tuple[str, str]:
    """TFF402's hoisting: the function holding the loop, run on the original with tf.functions run eagerly,
    then on the fixed text as written: the function its loop wraps must trace once for all the loop's calls,
    and the loop's function must return what the eager original returned."""
    import ast
    import os

    hoist = proof["hoist"]
    driver_name = hoist["driver"]
    module, left_out = _load_original(checker)
    try:
        wrapped_name = ast.parse(checker._source_span(hoist).strip(), mode="eval").body.args[0].id
    except (SyntaxError, AttributeError, IndexError):
        raise Skip(f"cannot tell which function the loop in `{driver_name}` wraps") from None

    def parts(module):
        wrapped, driver = getattr(module, wrapped_name, None), getattr(module, driver_name, None)
        code = getattr(inspect.unwrap(wrapped), "__code__", None) if wrapped is not None else None
        body = [line for _, _, line in code.co_lines() if line and line > code.co_firstlineno] if code else []
        if not body or not callable(driver):
            raise Skip(f"`{wrapped_name}` or `{driver_name}` is not a Python function of the module")
        return driver, (os.path.abspath(code.co_filename), min(body))

    driver, key = parts(module)
    example = checker._example(driver_name, module)
    candidates = ([(example.args, example.kwargs, example.note)] if example is not None else
                  [(values, {}, note) for values, note in probe_candidates(required_parameters(driver))])

    def run_original(args, kwargs, fresh: bool):
        # From a fresh module each time: the loop may change state that its function reads.
        driver, key = parts(_load_original(checker)[0] if fresh else module)
        with quiet(), LineCounter(checker.loader.is_user_file) as counter:
            return run_eagerly(lambda: driver(*args, **kwargs)), counter.counts[key]

    failures, chosen = [], None
    for index, (args, kwargs, note) in enumerate(candidates):
        try:
            first, calls = run_original(args, kwargs, fresh=index > 0)
            second, _ = run_original(args, kwargs, fresh=True)
        except Exception as error:
            failures.append(describe_exception(error))
            continue
        chosen = (args, kwargs, note, first, second, calls)
        break
    if chosen is None:
        raise Skip(f"needs an example: `{driver_name}` fails with every probe when run eagerly "
                   f"(first: {failures[0] if failures else 'none'})")
    args, kwargs, note, want, again, calls = chosen
    how = f"with {note}{left_out}"
    if calls < 2:
        return "untested", (f"`{driver_name}` called `{wrapped_name}` {times_text(calls)}, {how}: one trace "
                            f"for several calls cannot be shown")
    module = _load(checker, fixed)
    fixed_driver, key = parts(module)
    try:
        with quiet(), LineCounter(checker.loader.is_user_file) as counter:
            got = fixed_driver(*args, **kwargs)
    except Exception as error:
        where = error_location(error, checker.loader.is_user_file)
        at = f" (at {checker._show(where)})" if where else ""
        return "not-proven", f"the fixed code fails under tf.function: {describe_exception(error)}{at}, {how}"
    traces = counter.counts[key]
    traced = f"`{wrapped_name}` traced {times_text(traces)} for {calls} calls in one call of `{driver_name}`"
    if traces != 1:
        return "not-proven", f"still retraces: {traced}, {how}"
    values = not _difference(again, want, True)
    return _compared(_difference(got, want, values), values, "the eager original gives other values on every call",
                     traced, how)


def _as_constant(call, parameter: str, position: int, constant):
    """``call`` with its ``parameter`` argument (positional at ``position``, or a keyword) as ``tf.constant``."""
    args, kwargs = list(call.args), dict(call.kwargs)
    if parameter in kwargs:
        kwargs[parameter] = constant(kwargs[parameter])
    elif position < len(args):
        args[position] = constant(args[position])
    return type(call)(tuple(args), kwargs, call.note, call.instance)


def _verdict(checker: Job, proof, plan: Plan, outputs, errors, graph, how: str, expect_one_trace: bool):
    traced = (f"traced {times_text(graph.traces)} for {graph.calls} {plan.unit}" if graph.traces is not None
              else f"ran traced for {graph.calls} {plan.unit}")
    failed = ""
    if graph.errors:
        error = graph.errors[0][1]
        where = error_location(error, checker.loader.is_user_file)
        at = f" (at {checker._show(where)})" if where else ""
        failed = f"the fixed code fails under tf.function: {describe_exception(error)}{at}"
    if errors:  # no eager result: nothing to prove the fix against, whatever the fixed code does
        return "untested", (f"the original has no eager result to compare: it raises "
                            f"{describe_exception(errors[0][1])} when run eagerly; {failed or traced}, {how}")
    if failed:
        return "not-proven", f"{failed}, {how}"
    if expect_one_trace and graph.traces != 1:
        return "not-proven", f"still retraces: {traced}, {how}"
    dataset = plan.unit == "passes over the dataset"
    values = proof.get("compare", "values") == "values"
    why_not = "a random number or a clock"
    if values and not expect_one_trace and any(_difference(output, outputs[0], True) for output in outputs[1:]):
        values, why_not = False, "the eager original gives other values on every call with the same input"
    difference = ""
    for index, (got, want) in enumerate(zip(graph.outputs, outputs)):
        if dataset and isinstance(got, list) and len(got) == 1:
            got = got[0]  # one element of Dataset.from_tensors(...).map(f): f's value
        difference = _difference(got, want, values)
        if difference:
            difference = f"call {index + 1}: {difference}"
            break
    return _compared(difference, values, why_not, traced, how)


def _compared(difference: str, values: bool, why_not: str, traced: str, how: str) -> tuple[str, str]:
    """The verdict once the fixed code traced: its outputs differ from the eager original's, or not."""
    if difference:
        return "not-proven", f"outputs differ: {difference}; {traced}, {how}"
    if values:
        return "proven", f"{traced}, outputs equal to eager, {how}"
    return "proven", (f"{traced}, outputs of the eager original's shapes and dtypes (values not compared: "
                      f"{why_not}), {how}")


def _normal(value):
    """Nested lists, dicts and NumPy arrays; anything else as its type name and repr."""
    import numpy as np
    import tensorflow as tf

    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normal(v) for v in value]
    if tf.is_tensor(value) and hasattr(value, "numpy"):
        return np.asarray(value.numpy())
    if isinstance(value, (np.ndarray, np.generic, bool, int, float, complex)):
        return np.asarray(value)
    if value is None or isinstance(value, (str, bytes)):
        return value
    return f"<{type(value).__name__}>"


def _short(array) -> str:
    import numpy as np

    text = np.array2string(array, threshold=6, precision=6) if isinstance(array, np.ndarray) else repr(array)
    return " ".join(text.split())[:80]


def _difference(got, want, values: bool, where: str = "") -> str:
    """'' when ``got`` (fixed, traced) matches ``want`` (original, eager); else what differs."""
    import numpy as np

    got, want = _normal(got), _normal(want)
    label = f" at {where}" if where else ""
    if isinstance(want, dict) or isinstance(got, dict):
        if not (isinstance(want, dict) and isinstance(got, dict)) or set(got) != set(want):
            return f"a {type(got).__name__} instead of a {type(want).__name__}{label}"
        return next((d for k in want for d in [_difference(got[k], want[k], values, f"{where}[{k!r}]")] if d), "")
    if isinstance(want, list) or isinstance(got, list):
        if not (isinstance(want, list) and isinstance(got, list)) or len(got) != len(want):
            return f"{_short(got)} instead of {_short(want)}{label}"
        return next((d for i, (g, w) in enumerate(zip(got, want))
                     for d in [_difference(g, w, values, f"{where}[{i}]")] if d), "")
    if isinstance(want, np.ndarray) and isinstance(got, np.ndarray):
        if got.shape != want.shape:
            return f"shape {list(got.shape)} instead of {list(want.shape)}{label}"
        if not values:
            return "" if got.dtype == want.dtype else f"dtype {got.dtype} instead of {want.dtype}{label}"
        try:
            same = np.allclose(got.astype(float), want.astype(float), rtol=RTOL, atol=ATOL, equal_nan=True)
        except (TypeError, ValueError):
            same = bool(np.all(got == want))
        return "" if same else f"{_short(got)} instead of {_short(want)}{label}"
    return "" if repr(got) == repr(want) else f"{_short(got)} instead of {_short(want)}{label}"
